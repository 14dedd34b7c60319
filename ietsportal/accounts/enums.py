from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    INSTITUTION_ADMIN = "institution_admin", _("Institution administrator")
    ASSESSOR = "assessor", _("Assessor")
    EXPERT = "expert", _("Expert")
    CENTER_STAFF = "center_staff", _("Evaluation center staff")


class OrganizationType(models.TextChoices):
    """M§4: enterprises, public institutions (事业单位) and associations (社团)."""

    ENTERPRISE = "enterprise", _("Enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    ASSOCIATION = "association", _("Association")
