from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionLevel(models.TextChoices):
    """M§10: national institutions work nationwide, local ones in their own region."""

    NATIONAL = "national", _("National")
    LOCAL = "local", _("Local")


class InstitutionState(models.TextChoices):
    """R§13, R§16: applied (center review) → under_review (expert review) → approved →
    suspended → approved | stopped; a designation the center turns down is refused."""

    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    STOPPED = "stopped", _("Stopped")
    REFUSED = "refused", _("Refused")


class DesignationDocumentKind(models.TextChoices):
    """R§7, R§13(1): what a supporting document of a designation shows."""

    LICENCE = "licence", _("Business licence or registration certificate (R§7(1))")
    CREDIT = "credit", _("Credit record (R§7(1))")
    PERSONNEL = "personnel", _("Personnel: staff list, qualifications, contracts (R§7(2))")
    TECHNICAL = "technical", _("Technical means: methods, tools, systems (R§7(2))")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure: premises and equipment (R§7(2))")
    INDEPENDENCE = "independence", _("Scope of business and independence (R§7(3))")
    OTHER = "other", _("Other")


# In the public directory (R§13): approved and suspended ones; a stopped one leaves it (R§16).
DIRECTORY_STATES = (InstitutionState.APPROVED, InstitutionState.SUSPENDED)


class AssessorState(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    REGISTERED = "registered", _("Registered")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")


class ContractType(models.TextChoices):
    """R§10: a labour or a service contract with the institution."""

    LABOUR = "labour", _("Labour contract")
    SERVICE = "service", _("Service contract")


class SupervisionGround(models.TextChoices):
    """R§16: the five reasons the center may suspend or stop an institution or assessor."""

    LAW = "law", _("Violation of laws or regulations (R§16(1))")
    FRAUD = (
        "fraud",
        _("Fraud, favouritism or harm to an applicant's rights in evaluation work (R§16(2))"),
    )
    INSTITUTION_CAPACITY = (
        "institution_capacity",
        _("The institution's management or capability no longer meets the requirements (R§16(3))"),
    )
    ASSESSOR_CAPACITY = (
        "assessor_capacity",
        _("The assessor's capability no longer meets the needs of evaluation work (R§16(4))"),
    )
    RULES = "rules", _("Violation of the rules of evaluation work (R§16(5))")


class SupervisionKind(models.TextChoices):
    SUSPEND = "suspend", _("Suspended")
    REINSTATE = "reinstate", _("Reinstated")
    STOP = "stop", _("Stopped")
    REMOVE = "remove", _("Removed")
