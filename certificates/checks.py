import base64
import binascii

from django.conf import settings
from django.core.checks import Error, Warning, register

HINT = (
    'Generate one with `python -c "import base64, os; '
    'print(base64.b64encode(os.urandom(32)).decode())"` and set it with '
    "CERTIFICATE_SIGNING_KEY_ID."
)


def _is_key(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


@register()
def signing_keys_well_formed(app_configs, **kwargs):
    """M§18: a configured key must be usable; fail at start-up, not at the first signature."""
    errors = []
    key = getattr(settings, "CERTIFICATE_SIGNING_KEY", "")
    if key and not _is_key(key):
        errors.append(
            Error(
                "CERTIFICATE_SIGNING_KEY is not base64 of 32 bytes.",
                hint=HINT,
                id="certificates.E001",
            )
        )
    for item in getattr(settings, "CERTIFICATE_RETIRED_PUBLIC_KEYS", []):
        kid, _, value = item.partition(":")
        if not kid or not _is_key(value):
            errors.append(
                Error(
                    f"CERTIFICATE_RETIRED_PUBLIC_KEYS entry {item[:40]!r} is not kid:base64 of a "
                    "32-byte Ed25519 public key.",
                    id="certificates.E002",
                )
            )
    return errors


@register(deploy=True)
def signing_key_configured(app_configs, **kwargs):
    """M§18: production certificates must be signed with a real key, not the development one."""
    if getattr(settings, "CERTIFICATE_SIGNING_KEY", ""):
        return []
    return [
        Warning(
            "CERTIFICATE_SIGNING_KEY is not set: certificate QR codes are signed with a key "
            "derived from SECRET_KEY.",
            hint=HINT,
            id="certificates.W001",
        )
    ]
