"""R§7, R§13: an organisation's application to become an evaluation institution."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.models import StoredUpload

from ..enums import DesignationDocumentKind


class DesignationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Tenancy: the center sees all; the applicant organisation its own; an expert those
        whose panel it sits on; an admin of the resulting institution its own."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_center_staff:
            return self.all()
        if user.is_expert:
            return self.filter(opinions__expert=user).distinct()
        if user.is_institution_admin:
            return self.filter(institution_id=user.institution_id)
        if user.organization_id:
            return self.filter(organization_id=user.organization_id)
        return self.none()


class Designation(models.Model):
    """The dossier of R§7 behind an institution in `applied` / `under_review`; the
    institution's state is the designation's state."""

    institution = models.OneToOneField(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="designation",
        verbose_name=_("institution"),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="designations",
        verbose_name=_("applicant organisation"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("filed by"),
    )
    personnel = models.TextField(_("personnel"), max_length=5000)
    technical_means = models.TextField(_("technical means"), max_length=5000)
    infrastructure = models.TextField(_("infrastructure"), max_length=5000)
    declares_good_credit = models.BooleanField(
        _("the organisation has a good credit record (R§7(1))"), default=False
    )
    declares_independence = models.BooleanField(
        _(
            "the organisation runs no business that could compromise the independence and "
            "impartiality of evaluation (R§7(3))"
        ),
        default=False,
    )
    submitted_at = models.DateTimeField(_("submitted"))
    review_notes = models.TextField(_("center review notes"), blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    objects = DesignationQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution designation")
        verbose_name_plural = _("institution designations")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return str(self.institution)


class DesignationOpinion(models.Model):
    """R§13(2): one expert's opinion on a designation."""

    designation = models.ForeignKey(
        Designation,
        on_delete=models.CASCADE,
        related_name="opinions",
        verbose_name=_("designation"),
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="designation_opinions",
        verbose_name=_("expert"),
    )
    assigned_at = models.DateTimeField(_("assigned"))
    opinion = models.TextField(_("opinion"), blank=True)
    approves = models.BooleanField(_("recommends approval"), null=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("designation opinion")
        verbose_name_plural = _("designation opinions")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["designation", "expert"], name="one_opinion_per_expert_and_designation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.designation} / {self.expert}"


def document_path(instance, filename):
    # Server-generated names only: the uploaded name is kept as data, never as a path.
    return f"designations/{instance.designation_id}/{uuid.uuid4().hex}"


class DesignationDocument(StoredUpload):
    """R§13(1): a supporting document of a designation — the licence, the staff list, … —
    filed by the applicant organisation and read by the center and the panel."""

    designation = models.ForeignKey(
        Designation,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("designation"),
    )
    kind = models.CharField(_("document"), max_length=16, choices=DesignationDocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)

    class Meta(StoredUpload.Meta):
        verbose_name = _("designation document")
        verbose_name_plural = _("designation documents")
