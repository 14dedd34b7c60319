"""W3C Verifiable Credentials 2.0 for certificates, with Bitstring Status Lists (issue #4).

Each certificate exports as a VC secured with a Data Integrity proof (`eddsa-jcs-2022`:
Ed25519 over the SHA-256 of the JCS-canonical proof options and document, with the portal's
certificate key). Its `credentialStatus` points at two Bitstring Status List credentials —
revocation and suspension — published at stable URLs, where bit `pk` is set when the
certificate is revoked (or replaced / expired) or suspended.
"""

import base64
import gzip
import hashlib
import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .enums import CertificateStatus
from .signing import _private_key

CONTEXT = "https://www.w3.org/ns/credentials/v2"
ISSUER_NAME = "中国技术市场协会科学技术评价中心"
MIN_BITS = 131072  # 16 KiB: the specification's minimum, for herd privacy
PURPOSES = {
    "revocation": (
        CertificateStatus.REVOKED,
        CertificateStatus.REPLACED,
        CertificateStatus.EXPIRED,
    ),
    "suspension": (CertificateStatus.SUSPENDED,),
}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = B58[rest] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def jcs(value) -> bytes:
    """RFC 8785 canonical JSON for the values used here (strings, integers, lists, objects)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def sign(document: dict, now) -> dict:
    kid, private = _private_key()
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": now.replace(microsecond=0).isoformat(),
        "verificationMethod": _absolute(reverse("api:public-keys")) + f"#{kid}",
        "proofPurpose": "assertionMethod",
        "@context": document["@context"],
    }
    digest = hashlib.sha256(jcs(proof)).digest() + hashlib.sha256(jcs(document)).digest()
    proof["proofValue"] = "z" + base58btc(private.sign(digest))
    del proof["@context"]
    return {**document, "proof": proof}


def status_list_url(purpose: str) -> str:
    return _absolute(reverse("api:status-list", args=[purpose]))


def certificate_credential(certificate, now=None) -> dict:
    now = now or timezone.now()
    org = certificate.organization
    document = {
        "@context": [CONTEXT],
        "id": _absolute(reverse("verify-detail", args=[certificate.number])),
        "type": ["VerifiableCredential", "IETSCertificate"],
        "issuer": {"id": settings.SITE_URL, "name": ISSUER_NAME},
        "validFrom": f"{certificate.issued_on.isoformat()}T00:00:00+08:00",
        "validUntil": f"{certificate.expires_on.isoformat()}T23:59:59+08:00",
        "credentialSubject": {
            "id": f"urn:uscc:{org.uscc}",
            "name": org.name,
            "certificateNumber": certificate.number,
            "version": certificate.version,
            "evaluation": certificate.kind,
            **({"grade": certificate.grade} if certificate.grade else {}),
            "evaluationInstitution": certificate.institution.name,
        },
        "credentialStatus": [
            {
                "id": f"{status_list_url(purpose)}#{certificate.pk}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(certificate.pk),
                "statusListCredential": status_list_url(purpose),
            }
            for purpose in PURPOSES
        ],
    }
    return sign(document, now)


def encoded_bitstring(indexes, size: int) -> str:
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def status_list_credential(purpose: str, now=None) -> dict:
    from .models import Certificate

    now = now or timezone.now()
    indexes = list(
        Certificate.objects.filter(status__in=PURPOSES[purpose])
        .values_list("pk", flat=True)
        .iterator(chunk_size=10000)
    )
    largest = Certificate.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    size = max(MIN_BITS, (largest // 8 + 1) * 8)
    url = status_list_url(purpose)
    document = {
        "@context": [CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": settings.SITE_URL, "name": ISSUER_NAME},
        "validFrom": now.replace(microsecond=0).isoformat(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_bitstring(indexes, size),
        },
    }
    return sign(document, now)
