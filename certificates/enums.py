from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CertificateStatus(models.TextChoices):
    VALID = "valid", pgettext_lazy("certificate status", "Valid")
    SUSPENDED = "suspended", pgettext_lazy("certificate status", "Suspended")
    REVOKED = "revoked", pgettext_lazy("certificate status", "Revoked")
    EXPIRED = "expired", pgettext_lazy("certificate status", "Expired")
    REPLACED = "replaced", _("Superseded")
