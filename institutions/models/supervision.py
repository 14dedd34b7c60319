import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.models import StoredUpload

from ..enums import SupervisionGround, SupervisionKind
from .institution import OfInstitutionQuerySet


class SupervisionAction(models.Model):
    """R§15–16: one suspension, reinstatement, stop or removal, with grounds, evidence and
    explanation. Rows are never changed: together they are the history shown."""

    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="supervision_actions",
        verbose_name=_("institution"),
    )
    assessor = models.ForeignKey(
        "institutions.Assessor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervision_actions",
        verbose_name=_("assessor"),
    )
    kind = models.CharField(_("action"), max_length=16, choices=SupervisionKind.choices)
    grounds = models.CharField(
        _("grounds"), max_length=32, choices=SupervisionGround.choices, blank=True
    )
    explanation = models.TextField(_("explanation"), max_length=5000)
    evidence = models.TextField(_("evidence"), blank=True, max_length=5000)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("date"))

    # the center sees every action, an institution's admin those about it and its assessors
    objects = OfInstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision action")
        verbose_name_plural = _("supervision actions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.assessor or self.institution}"


def evidence_path(instance, filename):
    # Server-generated names only: the uploaded name is kept as data, never as a path.
    return f"supervision/{instance.action_id}/{uuid.uuid4().hex}"


class SupervisionEvidence(StoredUpload):
    """R§16: a document a supervision action rests on (an inspection report, a finding),
    attached when the action is taken."""

    action = models.ForeignKey(
        SupervisionAction,
        on_delete=models.PROTECT,
        related_name="files",
        verbose_name=_("supervision action"),
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)

    class Meta(StoredUpload.Meta):
        verbose_name = _("supervision evidence file")
        verbose_name_plural = _("supervision evidence files")
