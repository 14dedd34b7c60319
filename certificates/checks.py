from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def signing_key_configured(app_configs, **kwargs):
    """M§18: production certificates must be signed with a real key, not the development one."""
    if getattr(settings, "CERTIFICATE_SIGNING_KEY", ""):
        return []
    return [
        Warning(
            "CERTIFICATE_SIGNING_KEY is not set: certificate QR codes are signed with a key "
            "derived from SECRET_KEY.",
            hint='Generate one with `python -c "import base64, os; '
            'print(base64.b64encode(os.urandom(32)).decode())"` and set it with '
            "CERTIFICATE_SIGNING_KEY_ID.",
            id="certificates.W001",
        )
    ]
