"""M§18 anti-forgery: a compact payload signed with Ed25519, carried by the certificate's QR.

Format: ``<kid>.<payload>.<signature>`` where payload and signature are unpadded base64url and
the payload is the JSON of the certificate's public facts (number, version, holder USCC, kind,
grade, validity). The current key signs; retired keys still verify (rotation). Keys come from
settings (``CERTIFICATE_SIGNING_KEY`` as base64 of the 32-byte Ed25519 seed, with
``CERTIFICATE_SIGNING_KEY_ID``; ``CERTIFICATE_RETIRED_PUBLIC_KEYS`` as ``kid:base64,…``). In
development, without a configured key, the key is derived from SECRET_KEY.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

MAX_TOKEN_LENGTH = 600


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _private_key() -> tuple[str, Ed25519PrivateKey]:
    seed = getattr(settings, "CERTIFICATE_SIGNING_KEY", "")
    kid = getattr(settings, "CERTIFICATE_SIGNING_KEY_ID", "") or "dev"
    if seed:
        raw = base64.b64decode(seed)
    else:
        raw = hashlib.sha256(b"iets-certificate-key:" + settings.SECRET_KEY.encode()).digest()
    return kid, Ed25519PrivateKey.from_private_bytes(raw)


@cache
def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every key that verifies: the current one and the retired ones."""
    kid, private = _private_key()
    keys = {kid: private.public_key()}
    for item in getattr(settings, "CERTIFICATE_RETIRED_PUBLIC_KEYS", []):
        old_kid, _, value = item.partition(":")
        keys[old_kid] = Ed25519PublicKey.from_public_bytes(base64.b64decode(value))
    return keys


def public_key_b64(kid: str) -> str:
    raw = public_keys()[kid].public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def certificate_facts(certificate) -> dict:
    return {
        "n": certificate.number,
        "v": certificate.version,
        "u": certificate.organization.uscc,
        "k": certificate.kind,
        "g": certificate.grade,
        "i": certificate.issued_on.isoformat(),
        "e": certificate.expires_on.isoformat(),
    }


def sign_facts(facts: dict) -> str:
    kid, private = _private_key()
    payload = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = f"{kid}.{b64e(payload.encode())}"
    return f"{message}.{b64e(private.sign(message.encode()))}"


@dataclass(frozen=True)
class Checked:
    """The outcome of reading a token: which step failed, and the facts if it got that far."""

    well_formed: bool
    signed_by_portal: bool
    facts: dict | None
    kid: str = ""


def verify_token(token: str) -> Checked:
    """Check a token's form and signature; never raises on hostile input."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return Checked(False, False, None)
    parts = token.split(".")
    if len(parts) != 3:
        return Checked(False, False, None)
    kid, payload_b64, signature_b64 = parts
    try:
        payload = b64d(payload_b64)
        signature = b64d(signature_b64)
        facts = json.loads(payload.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return Checked(False, False, None)
    required = {"n": str, "v": int, "u": str, "k": str, "g": str, "i": str, "e": str}
    if not isinstance(facts, dict) or any(
        not isinstance(facts.get(key), kind) for key, kind in required.items()
    ):
        return Checked(False, False, None)
    key = public_keys().get(kid)
    if key is None:
        return Checked(True, False, facts, kid)
    try:
        key.verify(signature, f"{kid}.{payload_b64}".encode())
    except InvalidSignature:
        return Checked(True, False, facts, kid)
    return Checked(True, True, facts, kid)
