from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseKind(models.TextChoices):
    """M§23–26: what the evaluation center receives and investigates."""

    COMPLAINT = "complaint", _("Complaint (投诉)")
    APPEAL = "appeal", _("Appeal against an institution (申诉, M§26)")
    REPORT = "report", _("Report of misconduct (举报)")
    RECONSIDERATION = "reconsideration", _("Reconsideration of an evaluation result (复议, M§25)")


class CaseState(models.TextChoices):
    """DESIGN.md: received → in_progress → upheld | dismissed."""

    RECEIVED = "received", pgettext_lazy("case state", "Received")
    IN_PROGRESS = "in_progress", pgettext_lazy("case state", "Being investigated")
    UPHELD = "upheld", pgettext_lazy("case state", "Upheld")
    DISMISSED = "dismissed", pgettext_lazy("case state", "Dismissed")


OPEN_CASE_STATES = (CaseState.RECEIVED, CaseState.IN_PROGRESS)


class SubjectKind(models.TextChoices):
    APPLICATION = "application", _("An application")
    CERTIFICATE = "certificate", _("A certificate")
    INSTITUTION = "institution", _("An evaluation institution")
    ASSESSOR = "assessor", _("An assessor")


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
