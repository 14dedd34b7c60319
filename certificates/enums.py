from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CertificateStatus(models.TextChoices):
    VALID = "valid", pgettext_lazy("certificate status", "Valid")
    SUSPENDED = "suspended", pgettext_lazy("certificate status", "Suspended")
    REVOKED = "revoked", pgettext_lazy("certificate status", "Revoked")
    EXPIRED = "expired", pgettext_lazy("certificate status", "Expired")
    REPLACED = "replaced", _("Superseded")


class Edition(models.TextChoices):
    """What made the current version: the first issue, a change (换发, M§21) or a reissue
    (补发, M§22). The number stays; the version goes up and older copies are superseded."""

    ORIGINAL = "original", _("Original")
    CHANGED = "changed", _("Reissued after a change (换发)")
    REISSUED = "reissued", _("Replacement copy (补发)")
