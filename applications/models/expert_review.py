from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import Grade


class ExpertReview(models.Model):
    """M§14(3): one expert's independent opinion on one application."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="expert_reviews",
        verbose_name=_("application"),
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="expert_reviews",
        verbose_name=_("expert"),
    )
    round = models.PositiveSmallIntegerField(_("review round"), default=1)
    assigned_at = models.DateTimeField(_("assigned"))
    opinion = models.TextField(_("opinion"), blank=True)
    recommended_grade = models.CharField(
        _("grade the expert supports"), max_length=8, choices=Grade.choices, blank=True
    )
    approves = models.BooleanField(_("recommends passing"), null=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    pick_reason = models.TextField(_("reason for picking this expert by hand"), blank=True)
    declared_at = models.DateTimeField(_("conflict of interest declared"), null=True, blank=True)
    conflict_declared = models.BooleanField(_("declared a conflict of interest"), default=False)
    conflict_reason = models.TextField(_("the conflict of interest"), blank=True)
    score_total = models.DecimalField(
        _("total of the expert's scores"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    computed_grade = models.CharField(
        _("grade computed from the expert's scores"),
        max_length=8,
        choices=Grade.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("expert review")
        verbose_name_plural = _("expert reviews")
        ordering = ["round", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "expert", "round"], name="one_review_per_expert_and_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} / {self.expert}"

    @property
    def grade(self) -> str:
        """The grade this expert supports: the one chosen, else the one the scores give."""
        return self.recommended_grade or self.computed_grade
