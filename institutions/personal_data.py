"""Protected personal data of assessors (R§10–11, R§14): the ID number is stored encrypted
(Fernet, key from `PERSONAL_DATA_KEY`), with an HMAC-SHA256 of its normalised form for the
one-person-one-institution constraint, and shown masked."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.translation import gettext as _g
from stdnum.cn import ric

from ietsportal.errors import InvalidInput


def _key_bytes() -> bytes:
    configured = getattr(settings, "PERSONAL_DATA_KEY", "")
    if configured:
        return configured.encode()
    # Development: derived from SECRET_KEY, so a fresh checkout works; production sets a key
    # (the deploy check institutions.W001 warns without one).
    digest = hashlib.sha256(b"iets-personal-data:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(key: bytes) -> Fernet:
    return Fernet(key)


def _hmac_key(key: bytes) -> bytes:
    return hashlib.sha256(b"iets-id-hmac:" + key).digest()


def normalise_id_number(value: str) -> str:
    """R§10: a PRC resident identity number, 18 characters with a correct check digit."""
    compact = ric.compact(value or "").upper()
    if not ric.is_valid(compact) or len(compact) != 18:
        raise InvalidInput(
            _g(
                "This is not a valid resident identity number: 18 characters with a correct "
                "check digit."
            ),
            field="id_number",
        )
    return compact


def encrypt(value: str) -> str:
    return _fernet(_key_bytes()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_key_bytes()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def id_hash(normalised: str) -> str:
    return hmac.new(_hmac_key(_key_bytes()), normalised.encode(), hashlib.sha256).hexdigest()


def mask(normalised: str) -> str:
    """1101********1234: the region and the last four characters, nothing else."""
    if len(normalised) < 8:
        return "*" * len(normalised)
    return normalised[:4] + "*" * (len(normalised) - 8) + normalised[-4:]


def key_problem() -> str:
    """'' when `PERSONAL_DATA_KEY` is empty or a usable Fernet key, else what is wrong."""
    configured = getattr(settings, "PERSONAL_DATA_KEY", "")
    if not configured:
        return ""
    try:
        Fernet(configured.encode())
    except (ValueError, TypeError):
        return "PERSONAL_DATA_KEY is not a Fernet key (url-safe base64 of 32 bytes)."
    return ""
