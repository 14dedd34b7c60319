from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField

from ietsportal.accounts.models import validate_uscc
from ietsportal.accounts.regions import PROVINCES, REGION_CHOICES

from .enums import AssessorState, InstitutionLevel, InstitutionState


class InstitutionQuerySet(models.QuerySet):
    def accepting(self):
        """Institutions that may accept new applications now (R§16: not suspended)."""
        return self.filter(state=InstitutionState.APPROVED)

    def available_to(self, organization):
        """M§10, R§3: national institutions, and local ones of the organisation's region."""
        return self.accepting().filter(
            models.Q(level=InstitutionLevel.NATIONAL)
            | models.Q(level=InstitutionLevel.LOCAL, region=organization.region)
        )


class Institution(models.Model):
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    level = models.CharField(_("level"), max_length=16, choices=InstitutionLevel.choices)
    region = models.CharField(
        _("region"),
        max_length=2,
        choices=REGION_CHOICES,
        blank=True,
        help_text=_("Local institutions only: the province they serve."),
    )
    established_on = models.DateField(_("established on"))
    state = FSMField(
        _("state"),
        max_length=16,
        choices=InstitutionState.choices,
        default=InstitutionState.APPLIED,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation institution")
        verbose_name_plural = _("evaluation institutions")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                name="local_institution_has_region",
                condition=models.Q(level="national", region="")
                | (models.Q(level="local") & ~models.Q(region="")),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region_name(self) -> str:
        return str(PROVINCES.get(self.region, ""))

    @property
    def is_accepting(self) -> bool:
        return self.state == InstitutionState.APPROVED


class Assessor(models.Model):
    """R§10: an assessor works for one institution at a time — one row per person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessor_profile",
        verbose_name=_("user"),
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="assessors",
        verbose_name=_("institution"),
    )
    registration_number = models.CharField(_("registration number"), max_length=32, unique=True)
    full_time = models.BooleanField(_("full-time"), default=True)
    state = FSMField(
        _("state"), max_length=16, choices=AssessorState.choices, default=AssessorState.NOMINATED
    )

    class Meta:
        verbose_name = _("assessor")
        verbose_name_plural = _("assessors")
        ordering = ["registration_number"]

    def __str__(self) -> str:
        return f"{self.user} ({self.registration_number})"


class Expert(models.Model):
    """M§8: a member of the center's expert pool, drawn for application reviews (M§14(3)) and
    institution designations (R§13)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="expert_profile",
        verbose_name=_("user"),
    )
    fields_of_expertise = models.CharField(_("fields of expertise"), max_length=300, blank=True)
    employer = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("employer"),
        help_text=_("The expert is never drawn for an application of their employer."),
    )
    employer_name = models.CharField(_("employer name"), max_length=200, blank=True)
    available = models.BooleanField(_("available"), default=True)
    max_open_reviews = models.PositiveSmallIntegerField(
        _("maximum open reviews"),
        default=5,
        help_text=_("The draw skips an expert who already has this many reviews open."),
    )

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)


class ConflictDeclaration(models.Model):
    """M§8, M§14: a person (expert or assessor) declares a conflict of interest with an
    organisation; they are then never assigned or drawn for its applications."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflict_declarations",
        verbose_name=_("person"),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="declared_conflicts",
        verbose_name=_("organisation"),
    )
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"], name="conflict_person_organization_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} ↔ {self.organization}"
