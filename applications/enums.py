from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApplicationState(models.TextChoices):
    """The application state machine of DESIGN.md; transitions are in models/application.py."""

    DRAFT = "draft", pgettext_lazy("application state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("application state", "Submitted")
    RETURNED_TO_APPLICANT = "returned_to_applicant", _("Returned for more material")
    DOCUMENT_REVIEW = "document_review", _("Document review")
    ONSITE_REVIEW = "onsite_review", _("On-site review")
    REPORTED = "reported", _("Report filed")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    PUBLICITY = "publicity", _("In publicity")
    ISSUED = "issued", pgettext_lazy("application state", "Certified")
    REFUSED = "refused", _("Not accepted")
    REJECTED = "rejected", _("Not passed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STATES = {
    ApplicationState.ISSUED,
    ApplicationState.REFUSED,
    ApplicationState.REJECTED,
    ApplicationState.WITHDRAWN,
}


class EvaluationKind(models.TextChoices):
    GRADE = "grade", _("IT engineering and technical service capability (graded, M§11)")
    INNOVATION = "innovation", _("New-generation IT application and innovation (M§12)")


class Grade(models.TextChoices):
    """M§11, lowest to highest."""

    IETS_4 = "IETS-4", _("IETS-4 (Grade 4)")
    IETS_3 = "IETS-3", _("IETS-3 (Grade 3)")
    IETS_2 = "IETS-2", _("IETS-2 (Grade 2)")
    IETS_1 = "IETS-1", _("IETS-1 (Grade 1)")
    IETS_E = "IETS-E", _("IETS-E (Excellence)")


GRADE_ORDER = [g.value for g in Grade]


class CapabilityArea(models.TextChoices):
    """M§3: the four areas every result is scored in."""

    BASIC = "basic", _("Basic capability")
    TECHNICAL = "technical", _("Technical capability")
    SERVICE = "service", _("Service capability")
    OPERATIONAL = "operational", _("Operational capability")


class ObjectionState(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")
