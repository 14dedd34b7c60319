"""M§3: versioned rubrics — criteria in the four capability areas with weights and maxima, and
the grade thresholds of M§11. A published version is immutable; results keep the version they
were scored with."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from applications.enums import CapabilityArea, Grade
from ietsportal.errors import Conflict

from .enums import RubricKind, RubricState


def in_reader_language(chinese: str, english: str) -> str:
    """A rubric's own text in the reader's language: the English one when the reader reads
    English and there is one, the Chinese original otherwise."""
    if english and not (translation.get_language() or "zh").startswith("zh"):
        return english
    return chinese


class RubricQuerySet(models.QuerySet):
    def for_user(self, user):
        """Who maintains rubrics (M§3): the center, every version; nobody else (the published
        ones are public, `/api/v1/public/rubrics/`)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all() if user.is_center_staff else self.none()

    def published(self):
        return self.filter(state=RubricState.PUBLISHED)

    def current(self, kind: str):
        """The newest published version of a kind, or None."""
        return self.published().filter(kind=kind).order_by("-version").first()


class Rubric(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=RubricKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    is_sample = models.BooleanField(
        _("sample"),
        default=False,
        help_text=_("A sample shipped with the portal, not the standard T/TMAC 033.F—2021."),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=RubricState.choices, default=RubricState.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = RubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="rubric_kind_version_unique"),
            models.CheckConstraint(
                name="rubric_published_has_date",
                condition=models.Q(state="draft") | models.Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_title} v{self.version}"

    @property
    def display_title(self) -> str:
        return in_reader_language(self.title, self.title_en)

    @property
    def is_editable(self) -> bool:
        return self.state == RubricState.DRAFT

    @property
    def is_graded(self) -> bool:
        return self.kind == RubricKind.GRADE


class _DraftOnly(models.Model):
    """Rows of a rubric can change only while it is a draft (M§3: a published version is
    immutable, so results keep meaning what they meant)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._refuse_unless_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_unless_draft()
        return super().delete(*args, **kwargs)

    def _refuse_unless_draft(self):
        if (
            self.rubric_id
            and not Rubric.objects.filter(pk=self.rubric_id, state=RubricState.DRAFT).exists()
        ):
            raise Conflict(_("A published rubric cannot be changed; create a new version."))


class Criterion(_DraftOnly):
    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("rubric")
    )
    area = models.CharField(_("area"), max_length=16, choices=CapabilityArea.choices)
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    guidance = models.TextField(_("guidance"), blank=True)
    guidance_en = models.TextField(_("guidance in English"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    max_score = models.DecimalField(
        _("maximum score"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rubric", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="criterion_code_unique"),
            models.CheckConstraint(
                name="criterion_weight_and_max_positive",
                condition=models.Q(weight__gt=0, max_score__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_title}"

    @property
    def display_title(self) -> str:
        return in_reader_language(self.title, self.title_en)

    @property
    def display_guidance(self) -> str:
        return in_reader_language(self.guidance, self.guidance_en)


class GradeThreshold(_DraftOnly):
    """M§11: the lowest total (0–100) that reaches a grade."""

    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="thresholds", verbose_name=_("rubric")
    )
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    min_total = models.DecimalField(
        _("minimum total score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("grade threshold")
        verbose_name_plural = _("grade thresholds")
        ordering = ["rubric", "min_total"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "grade"], name="threshold_grade_unique"),
            models.CheckConstraint(
                name="threshold_within_range",
                condition=models.Q(min_total__gte=0, min_total__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.min_total}"
