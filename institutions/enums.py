from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionLevel(models.TextChoices):
    """M§10: national institutions work nationwide, local ones in their own region."""

    NATIONAL = "national", _("National")
    LOCAL = "local", _("Local")


class InstitutionState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    STOPPED = "stopped", _("Stopped")


class AssessorState(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    REGISTERED = "registered", _("Registered")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")
