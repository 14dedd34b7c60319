import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.models import StoredUpload


def evidence_path(instance, filename):
    # Server-generated names only: the uploaded name is kept as data, never as a path.
    return f"evidence/{instance.application_id}/{uuid.uuid4().hex}"


class EvidenceQuerySet(models.QuerySet):
    def for_user(self, user):
        from .application import Application

        return self.filter(application__in=Application.objects.for_user(user))


class Evidence(StoredUpload):
    """A file the applicant attaches as evidence (M§13(3)); checked by `evidence_add`."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="evidence",
        verbose_name=_("application"),
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    description = models.CharField(_("description"), max_length=200, blank=True)
    criterion = models.ForeignKey(
        "rubrics.Criterion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("criterion"),
        help_text=_("The rubric criterion this file is evidence for, if any."),
    )
    material_request = models.ForeignKey(
        "applications.MaterialRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="files",
        verbose_name=_("answer to the request"),
    )
    objects = EvidenceQuerySet.as_manager()

    class Meta(StoredUpload.Meta):
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
