from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.indexes import index_where_set

from ..enums import AnnualReviewState


class AnnualReview(models.Model):
    """M§15, M§17: each year on the certificate's anniversary a review falls due; missed past
    the grace period, or failed, the certificate is revoked."""

    certificate = models.ForeignKey(
        "certificates.Certificate",
        on_delete=models.PROTECT,
        related_name="annual_reviews",
        verbose_name=_("certificate"),
        db_index=False,  # one_review_a_year leads with it (issue #8: one index less to write)
    )
    year = models.PositiveSmallIntegerField(_("year of validity"))
    due_on = models.DateField(_("due on"))
    deadline = models.DateField(_("last day, grace included"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=AnnualReviewState.choices,
        default=AnnualReviewState.DUE,
    )
    materials = models.TextField(_("annual materials"), blank=True, max_length=10000)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed where set (Meta): most reviews are never touched by hand
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed where set (Meta): most reviews are never touched by hand
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)

    class Meta:
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "year"], name="one_review_a_year"),
        ]
        # The jobs open and close reviews by the hundred thousand, and every index is written
        # for each (issue #8): the users' columns are indexed only where set, which is all a
        # user's deletion check reads.
        indexes = [
            # what the overdue job and the due-review counts read; a review leaving `due` (by
            # the hundred thousand, when the job marks them overdue) drops out of it
            models.Index(
                fields=["deadline"],
                condition=models.Q(state=AnnualReviewState.DUE),
                name="annualreview_due_deadline",
            ),
            index_where_set("annualreview", "submitted_by"),
            index_where_set("annualreview", "decided_by"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate} / {self.year}"
