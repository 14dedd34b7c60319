"""M§5: an organisation scores itself against the current rubric. Private to the organisation;
each run keeps the rubric version it was scored with (M§3)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.models import StoredUpload

from ..enums import SelfEvaluationState


class SelfEvaluationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Tenancy: the users of the organisation that ran it, nobody else (not even the
        center: a self-evaluation is the organisation's own, M§5)."""
        if user is None or not user.is_authenticated or not user.is_applicant:
            return self.none()
        return self.filter(organization_id=user.organization_id)


class SelfEvaluation(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="self_evaluations",
        verbose_name=_("organisation"),
    )
    rubric = models.ForeignKey(
        "rubrics.Rubric",
        on_delete=models.PROTECT,
        related_name="self_evaluations",
        verbose_name=_("rubric"),
    )
    title = models.CharField(_("title"), max_length=120, blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=SelfEvaluationState.choices,
        default=SelfEvaluationState.DRAFT,
    )
    # The result as of the last change, so lists and comparisons need no re-scoring.
    total = models.DecimalField(_("total score"), max_digits=5, decimal_places=2, default=0)
    grade = models.CharField(_("grade reached"), max_length=8, blank=True)
    area_scores = models.JSONField(_("area scores"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("draft application made from it"),
    )

    objects = SelfEvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("self-evaluation")
        verbose_name_plural = _("self-evaluations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="self_evaluation_total_range",
                condition=models.Q(total__gte=0, total__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def label(self) -> str:
        return f"#{self.pk} {self.title}".strip()


class SelfEvaluationScore(models.Model):
    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="scores")
    code = models.CharField(_("criterion"), max_length=16)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("self-evaluation score")
        verbose_name_plural = _("self-evaluation scores")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="self_eval_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.score}"


def evidence_path(instance, filename):
    # Server-generated names only: the uploaded name is kept as data, never as a path.
    return f"self-evaluations/{instance.evaluation_id}/{uuid.uuid4().hex}"


class SelfEvaluationEvidenceQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(evaluation__in=SelfEvaluation.objects.for_user(user))


class SelfEvaluationEvidence(StoredUpload):
    evaluation = models.ForeignKey(
        SelfEvaluation, on_delete=models.CASCADE, related_name="evidence"
    )
    code = models.CharField(_("criterion"), max_length=16, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    description = models.CharField(_("description"), max_length=200, blank=True)

    objects = SelfEvaluationEvidenceQuerySet.as_manager()

    class Meta(StoredUpload.Meta):
        verbose_name = _("self-evaluation evidence")
        verbose_name_plural = _("self-evaluation evidence")
