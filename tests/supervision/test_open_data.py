"""Open data: the register of valid certificates as JSON and CSV."""

import csv
import io
import json

from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates import services as cert_services

from ..conftest import T0


def test_open_data_lists_valid_certificates_only(world, flow):
    valid = flow.to(flow.draft(), S.ISSUED, now=T0).certificate
    revoked = flow.to(flow.draft(world.other_applicant), S.ISSUED, now=T0).certificate
    cert_services.certificate_revoke(
        number=revoked.number, actor=world.center, reason="撤销。", now=T0
    )
    client = APIClient()
    response = client.get("/api/v1/public/open-data/certificates.json")
    assert response.status_code == 200
    data = json.loads(b"".join(response.streaming_content))
    assert data["fields"][:4] == ["number", "status", "kind", "grade"]
    assert data["certificates"] == [
        {
            "number": valid.number,
            "status": "valid",
            "kind": "grade",
            "grade": "IETS-3",
            "organization_name": "北京甲科技有限公司",
            "uscc": world.org.uscc,
            "region": world.org.region,
            "institution": world.inst.name,
            "institution_uscc": world.inst.uscc,
            "issued_on": valid.issued_on.isoformat(),
            "expires_on": valid.expires_on.isoformat(),
            "version": 1,
        }
    ]
    response = client.get("/api/v1/public/open-data/certificates.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "\ufeffnumber"
    assert [r[0] for r in rows[1:]] == [valid.number]
    assert client.get("/api/v1/public/open-data/certificates.xml").status_code == 404


def test_open_data_empty_register_is_valid_json(db):
    response = APIClient().get("/api/v1/public/open-data/certificates.json")
    assert json.loads(b"".join(response.streaming_content))["certificates"] == []
