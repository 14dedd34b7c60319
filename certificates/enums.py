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


class DecisionKind(models.TextChoices):
    SUSPEND = "suspend", _("Suspension")
    REVOKE = "revoke", _("Revocation")
    REINSTATE = "reinstate", _("Suspension lifted")
    RESTORE = "restore", _("Revocation withdrawn on reconsideration")


class DecisionReason(models.TextChoices):
    """M§19 (1)–(5), and M§17 for annual reviews missed or failed."""

    LICENCE_CANCELLED = "licence_cancelled", _("Business licence cancelled or revoked (M§19(1))")
    FALSE_MATERIAL = (
        "false_material",
        _("False material or concealed facts in the evaluation (M§19(2))"),
    )
    REFUSED_INQUIRY = (
        "refused_inquiry",
        _("Refused to cooperate with the center's inquiry, or gave false information (M§19(3))"),
    )
    SERIOUS_VIOLATION = (
        "serious_violation",
        _("Serious violation of law or serious dishonesty (M§19(4))"),
    )
    NONCOMPLIANT = "noncompliant", _("Found not to meet the rules and requirements (M§19(5))")
    ANNUAL_REVIEW_FAILED = "annual_review_failed", _("Annual review failed (M§17)")
    ANNUAL_REVIEW_MISSED = "annual_review_missed", _("Annual review not carried out (M§17)")
    RESOLVED = "resolved", _("The cause of the suspension has been resolved")
    RECONSIDERED = "reconsidered", _("Reconsideration upheld (M§20)")


class AnnualReviewState(models.TextChoices):
    DUE = "due", _("Due")
    SUBMITTED = "submitted", pgettext_lazy("annual review state", "Submitted")
    PASSED = "passed", pgettext_lazy("annual review state", "Passed")
    FAILED = "failed", pgettext_lazy("annual review state", "Failed")
    OVERDUE = "overdue", pgettext_lazy("annual review state", "Overdue")


class RequestKind(models.TextChoices):
    """M§21–22: what a holder asks the institution and the center for."""

    CHANGE = "change", _("Registration change (within 30 days, M§21)")
    MAJOR_CHANGE = "major_change", _("Split, merger or reorganisation (within 90 days, M§21)")
    REISSUE = "reissue", _("Lost certificate: replacement copy (M§22)")


class RequestState(models.TextChoices):
    FILED = "filed", _("Filed with the institution")
    VERIFIED = "verified", _("Verified by the institution")
    APPROVED = "approved", _("Approved: new version issued")
    REJECTED = "rejected", _("Rejected")


class ReconsiderationState(models.TextChoices):
    """M§20: the holder asks, through the institution, for the center to reconsider."""

    FILED = "filed", _("Filed with the institution")
    FORWARDED = "forwarded", _("Forwarded to the evaluation center")
    UPHELD = "upheld", _("Upheld: the decision is withdrawn")
    DISMISSED = "dismissed", _("Dismissed: the decision stands")
