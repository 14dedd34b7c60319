from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RubricKind(models.TextChoices):
    """M§11 graded evaluation and M§12 innovation evaluation (no grade) use separate rubrics."""

    GRADE = "grade", _("Graded capability evaluation (M§11)")
    INNOVATION = "innovation", _("Innovation evaluation, ungraded (M§12)")


class RubricState(models.TextChoices):
    """A draft is edited; a published version is immutable; a retired one stays readable."""

    DRAFT = "draft", pgettext_lazy("rubric state", "Draft")
    PUBLISHED = "published", pgettext_lazy("rubric state", "Published")
    RETIRED = "retired", pgettext_lazy("rubric state", "Retired")
