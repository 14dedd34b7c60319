import base64
import gzip
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates.credentials import B58, jcs
from certificates.models import Certificate
from certificates.services import certificate_reinstate, certificate_revoke, certificate_suspend

from ..conftest import T0


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + B58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def proof_holds(credential: dict) -> bool:
    """Verify an eddsa-jcs-2022 proof with the key published at /api/v1/public/keys/."""
    document = {k: v for k, v in credential.items() if k != "proof"}
    proof = dict(credential["proof"])
    value = proof.pop("proofValue")
    kid = proof["verificationMethod"].rsplit("#", 1)[1]
    keys = APIClient().get("/api/v1/public/keys/").json()["keys"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[kid]))
    digest = (
        hashlib.sha256(jcs({**proof, "@context": document["@context"]})).digest()
        + hashlib.sha256(jcs(document)).digest()
    )
    try:
        key.verify(b58decode(value[1:]), digest)
    except Exception:
        return False
    return True


def bit(status_list: dict, index: int) -> int:
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return (raw[index // 8] >> (7 - index % 8)) & 1


@pytest.fixture
def certificate(flow):
    return Certificate.objects.get(application=flow.to(flow.draft(), S.ISSUED))


def test_credential_is_a_signed_vc2_with_status_entries(certificate, settings):
    settings.SITE_URL = "https://iets.example.cn"
    response = APIClient().get(f"/api/v1/public/certificates/{certificate.number}/credential/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+ld+json"
    vc = response.json()
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert vc["type"] == ["VerifiableCredential", "IETSCertificate"]
    assert vc["id"] == f"https://iets.example.cn/verify/{certificate.number}/"
    assert vc["credentialSubject"]["id"] == f"urn:uscc:{certificate.organization.uscc}"
    assert vc["credentialSubject"]["grade"] == "IETS-3"
    assert vc["validUntil"] == f"{certificate.expires_on.isoformat()}T23:59:59+08:00"
    assert [(s["statusPurpose"], s["statusListIndex"]) for s in vc["credentialStatus"]] == [
        ("revocation", str(certificate.pk)),
        ("suspension", str(certificate.pk)),
    ]
    assert vc["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert proof_holds(vc)


def test_credential_proof_fails_when_the_document_is_altered(certificate):
    vc = APIClient().get(f"/api/v1/public/certificates/{certificate.number}/credential/").json()
    vc["credentialSubject"]["grade"] = "IETS-E"
    assert not proof_holds(vc)


def test_status_lists_follow_suspension_and_revocation(certificate, world):
    api = APIClient()

    def bits():
        return tuple(
            bit(api.get(f"/api/v1/public/status/{purpose}/").json(), certificate.pk)
            for purpose in ("revocation", "suspension")
        )

    assert bits() == (0, 0)
    certificate_suspend(number=certificate.number, actor=world.center, reason="核查。", now=T0)
    assert bits() == (0, 1)
    certificate_reinstate(number=certificate.number, actor=world.center, reason="完毕。", now=T0)
    assert bits() == (0, 0)
    certificate_revoke(number=certificate.number, actor=world.center, reason="虚假。", now=T0)
    assert bits() == (1, 0)
    status_list = api.get("/api/v1/public/status/revocation/").json()
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert proof_holds(status_list)
    raw_len = len(
        gzip.decompress(
            base64.urlsafe_b64decode(status_list["credentialSubject"]["encodedList"][1:] + "==")
        )
    )
    assert raw_len == 131072 // 8  # the specification's minimum size


def test_unknown_status_purpose_and_certificate_are_404(db):
    api = APIClient()
    assert api.get("/api/v1/public/status/other/").status_code == 404
    assert api.get("/api/v1/public/certificates/NOPE-1/credential/").status_code == 404


def test_jcs_sorts_keys_and_keeps_unicode():
    assert (
        jcs({"b": 1, "a": "证书"})
        == json.dumps({"a": "证书", "b": 1}, separators=(",", ":"), ensure_ascii=False).encode()
    )
