"""The evaluation institution (评价机构) and its whole state machine (R§13, R§16)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ietsportal.accounts.models import validate_uscc
from ietsportal.accounts.regions import PROVINCES, REGION_CHOICES

from ..enums import DIRECTORY_STATES, InstitutionLevel
from ..enums import InstitutionState as S


class OfInstitutionQuerySet(models.QuerySet):
    """Rows that belong to one institution (its assessors, its supervision history). Tenancy:
    the center sees every row, an institution's admin its own institution's."""

    def for_user(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_center_staff:
            return self.all()
        if user.is_institution_admin:
            return self.filter(institution_id=user.institution_id)
        return self.none()


class InstitutionQuerySet(models.QuerySet):
    def accepting(self):
        """Institutions that may accept new applications now: approved, not suspended
        (R§16), and with the staffing of R§8 as of the last check (`staffing_short_since`)."""
        return self.filter(state=S.APPROVED, staffing_short_since__isnull=True)

    def available_to(self, organization):
        """M§10, R§3: national institutions, and local ones of the organisation's region."""
        return self.accepting().filter(
            models.Q(level=InstitutionLevel.NATIONAL)
            | models.Q(level=InstitutionLevel.LOCAL, region=organization.region)
        )

    def in_directory(self):
        """R§13: published once approved; a stopped institution leaves the directory (R§16)."""
        return self.filter(state__in=DIRECTORY_STATES)

    def for_user(self, user):
        """Tenancy: the center manages every institution, an admin only its own."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_center_staff:
            return self.all()
        if user.is_institution_admin:
            return self.filter(pk=user.institution_id)
        return self.none()


class Institution(models.Model):
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, validators=[validate_uscc]
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
    state = FSMField(_("state"), max_length=16, choices=S.choices, default=S.APPLIED)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("in this state since"), null=True, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="institution_designations",
        verbose_name=_("applicant organisation"),
    )
    # R§8: set by the staffing check when the roster falls below the bar, cleared when it
    # recovers; while set the institution accepts no new application.
    staffing_short_since = models.DateTimeField(
        _("below the staffing requirement since"), null=True, blank=True
    )
    staffing_checked_at = models.DateTimeField(_("staffing last checked"), null=True, blank=True)

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
            # A refused designation may be filed again; one live institution per USCC.
            models.UniqueConstraint(
                fields=["uscc"],
                condition=~models.Q(state="refused"),
                name="institution_uscc_unique_unless_refused",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region_name(self) -> str:
        return str(PROVINCES.get(self.region, ""))

    @property
    def is_accepting(self) -> bool:
        """R§8, R§16: approved, not suspended, staffed as of the last check."""
        return self.state == S.APPROVED and self.staffing_short_since is None

    @property
    def in_directory(self) -> bool:
        return self.state in DIRECTORY_STATES

    # ---- the state machine (R§13, R§16); services.py checks conditions and records

    @transition(field=state, source=S.APPLIED, target=S.UNDER_REVIEW)
    def start_expert_review(self):
        """R§13(2): the center has reviewed the material and draws an expert panel."""

    @transition(field=state, source=S.UNDER_REVIEW, target=S.APPROVED)
    def approve(self):
        """R§13(3): approved and published."""

    @transition(field=state, source=[S.APPLIED, S.UNDER_REVIEW], target=S.REFUSED)
    def refuse(self):
        """R§13(2): the center turns the designation down, with reasons."""

    @transition(field=state, source=S.APPROVED, target=S.SUSPENDED)
    def suspend(self):
        """R§16: suspended; accepts nothing new."""

    @transition(field=state, source=S.SUSPENDED, target=S.APPROVED)
    def reinstate(self):
        """R§16: the suspension is lifted."""

    @transition(field=state, source=[S.APPROVED, S.SUSPENDED], target=S.STOPPED)
    def stop(self):
        """R§16: stopped for good; leaves the directory."""
