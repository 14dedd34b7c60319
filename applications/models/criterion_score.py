from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CriterionScore(models.Model):
    """M§3, M§14(2)–(3): one criterion's score with its comment, by the institution's assessor
    (`review` empty) or by one expert of the panel (`review` set)."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="criterion_scores",
        verbose_name=_("application"),
    )
    criterion = models.ForeignKey(
        "rubrics.Criterion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("criterion"),
    )
    review = models.ForeignKey(
        "applications.ExpertReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="criterion_scores",
        verbose_name=_("expert review"),
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), max_length=2000)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scored by"),
    )
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["criterion__position", "criterion__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "criterion"],
                condition=models.Q(review__isnull=True),
                name="one_institution_score_per_criterion",
            ),
            models.UniqueConstraint(
                fields=["review", "criterion"],
                condition=models.Q(review__isnull=False),
                name="one_expert_score_per_criterion",
            ),
            models.CheckConstraint(
                name="criterion_score_not_negative", condition=models.Q(score__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} / {self.criterion_id}: {self.score}"
