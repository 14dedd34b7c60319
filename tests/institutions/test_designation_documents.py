"""R§13(1): the applicant organisation files supporting documents with its designation — its
licence, staff list, … — checked as evidence is, and read by the center and the panel."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ietsportal.audit.models import AuditEntry
from ietsportal.demo import DEMO_PDF
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted, UnsupportedType
from institutions import services
from institutions.models import DesignationDocument

from ..conftest import T0
from .conftest import apply


def pdf(name="营业执照.pdf", content=DEMO_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored(settings) -> list[str]:
    root = settings.MEDIA_ROOT / "designations"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def file_document(candidate, designation, **kw):
    return services.designation_document_add(
        designation_id=designation.pk,
        actor=candidate,
        kind=kw.pop("kind", "licence"),
        upload=kw.pop("upload", None) or pdf(),
        now=T0,
    )


def test_the_filer_adds_a_document_that_the_center_and_the_panel_download(
    client, world, pool, candidate, settings
):
    designation = apply(candidate)
    client.force_login(candidate)

    response = client.post(
        f"/institutions/designations/{designation.pk}/document/",
        {"kind": "personnel", "file": pdf("人员名单.pdf")},
    )

    assert response.status_code == 302
    document = DesignationDocument.objects.get()
    assert (document.kind, document.original_name, document.size, document.uploaded_by) == (
        "personnel",
        "人员名单.pdf",
        len(DEMO_PDF),
        candidate,
    )
    entry = AuditEntry.objects.get(action="institution.designation_document")
    assert entry.data == {
        "document": document.pk,
        "kind": "personnel",
        "file": "人员名单.pdf",
        "sha256": document.sha256,
        "size": len(DEMO_PDF),
    }
    page = client.get(f"/institutions/designations/{designation.pk}/").content.decode()
    url = f"/institutions/designations/{designation.pk}/documents/{document.pk}/"
    assert f'href="{url}"' in page and "Personnel: staff list" in page

    services.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, notes="", panel_size=1, now=T0
    )
    expert = designation.opinions.get().expert
    for reader in (candidate, world.center, expert):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200, reader
        assert b"".join(response.streaming_content) == DEMO_PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    off_panel = next(e for e in world.experts if e != expert)
    for outsider in (world.other_applicant, world.inst_admin, off_panel):
        client.force_login(outsider)
        assert client.get(url).status_code == 404, outsider


def test_a_refused_document_stores_nothing(world, candidate, settings):
    designation = apply(candidate)
    entries = AuditEntry.objects.count()
    cases = [
        ({"upload": pdf(content=b"MZ\x90\x00 not a pdf")}, UnsupportedType, "file"),
        ({"kind": "passport"}, InvalidInput, "kind"),
    ]
    for kw, error, field in cases:
        with pytest.raises(error) as exc:
            file_document(candidate, designation, **kw)
        assert exc.value.field == field
    assert DesignationDocument.objects.count() == 0
    assert AuditEntry.objects.count() == entries
    assert stored(settings) == []


def test_only_the_filer_adds_documents_and_only_while_the_designation_is_open(
    world, candidate, settings, monkeypatch
):
    designation = apply(candidate)
    for someone, error in ((world.center, NotPermitted), (world.other_applicant, NotFound)):
        with pytest.raises(error):
            file_document(someone, designation)

    monkeypatch.setattr(services, "DESIGNATION_DOCUMENTS_MAX", 1)
    file_document(candidate, designation)
    with pytest.raises(Conflict, match="at most 1 documents"):
        file_document(candidate, designation)

    services.designation_decide(
        designation_id=designation.pk, actor=world.center, approve=False, reason="不符合。", now=T0
    )
    monkeypatch.setattr(services, "DESIGNATION_DOCUMENTS_MAX", 30)
    with pytest.raises(Conflict, match="decided"):
        file_document(candidate, designation)
    assert DesignationDocument.objects.count() == 1
    assert len(stored(settings)) == 1


def test_the_page_refuses_a_bad_file_with_its_message_and_the_form(client, candidate):
    designation = apply(candidate)
    client.force_login(candidate)

    response = client.post(
        f"/institutions/designations/{designation.pk}/document/",
        {"kind": "licence", "file": pdf("营业执照.pdf", b"%PDF-1.4 /JavaScript (app.alert(1))")},
    )

    assert response.status_code == 415
    assert "active content" in response.content.decode()
    assert DesignationDocument.objects.count() == 0


def test_the_api_files_and_lists_documents(world, candidate):
    designation = apply(candidate)
    api = APIClient()
    api.force_authenticate(candidate)

    response = api.post(
        f"/api/v1/designations/{designation.pk}/documents/",
        {"kind": "credit", "file": pdf("信用报告.pdf")},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    document = DesignationDocument.objects.get()
    assert response.json() == {
        "id": document.pk,
        "kind": "credit",
        "original_name": "信用报告.pdf",
        "content_type": "application/pdf",
        "size": len(DEMO_PDF),
        "sha256": document.sha256,
        "uploaded_at": response.json()["uploaded_at"],
        "download_url": f"/institutions/designations/{designation.pk}/documents/{document.pk}/",
    }
    listed = api.get(f"/api/v1/designations/{designation.pk}/").json()["documents"]
    assert [d["id"] for d in listed] == [document.pk]
    assert (
        api.post(
            f"/api/v1/designations/{designation.pk}/documents/",
            {"kind": "credit"},
            format="multipart",
        ).status_code
        == 400
    )
    other = APIClient()
    other.force_authenticate(world.other_applicant)
    assert (
        other.post(
            f"/api/v1/designations/{designation.pk}/documents/",
            {"kind": "credit", "file": pdf()},
            format="multipart",
        ).status_code
        == 404
    )
    assert DesignationDocument.objects.count() == 1


def test_a_document_whose_write_fails_leaves_no_file_behind(candidate, settings, monkeypatch):
    from django.db import DatabaseError

    designation = apply(candidate)

    def fail(**kwargs):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(services, "audit_record", fail)
    with pytest.raises(DatabaseError):
        file_document(candidate, designation)
    assert DesignationDocument.objects.count() == 0
    assert stored(settings) == []
