from django.core.management import call_command


def test_openapi_schema_generates_without_warnings(tmp_path, db):
    """drf-spectacular validates the schema and fails on any warning."""
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/applications/{id}/transitions/{name}/:" in text
    assert "/api/v1/public/certificates/{number}/:" in text
    assert "/api/v1/public/publicity/{id}/objections/:" in text
