from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ..enums import AssessorState as S
from ..enums import ContractType
from .institution import OfInstitutionQuerySet


class AssessorQuerySet(OfInstitutionQuerySet):
    """`for_user`: the center sees every nomination, an admin its own institution's."""

    def published(self):
        """R§14(3): registered (and suspended, marked so) assessors of listed institutions."""
        from ..enums import DIRECTORY_STATES

        return self.filter(
            state__in=[S.REGISTERED, S.SUSPENDED], institution__state__in=DIRECTORY_STATES
        )


class Assessor(models.Model):
    """R§10: an assessor works for one institution at a time. A row is one engagement; the
    person is the HMAC of their ID number, unique over rows not removed (a released assessor
    may be nominated elsewhere, with a new row and account)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessor_profile",
        verbose_name=_("user"),
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="assessors",
        verbose_name=_("institution"),
    )
    registration_number = models.CharField(
        _("registration number"), max_length=32, unique=True, null=True, blank=True
    )
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True)
    id_number_hash = models.CharField(_("ID number HMAC"), max_length=64, blank=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    contract_type = models.CharField(
        _("contract"), max_length=16, choices=ContractType.choices, default=ContractType.LABOUR
    )
    full_time = models.BooleanField(_("full-time"), default=True)
    qualifications = models.TextField(_("qualifications"), blank=True, max_length=5000)
    state = FSMField(_("state"), max_length=16, choices=S.choices, default=S.NOMINATED)
    nominated_at = models.DateTimeField(_("nominated"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("in this state since"), null=True, blank=True)
    # R§12: the year for which the participation check last flagged this assessor, before
    # the year end (warned) and after it (short); makes the daily job idempotent.
    participation_warned_year = models.PositiveSmallIntegerField(null=True, blank=True)
    participation_short_year = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = AssessorQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessor")
        verbose_name_plural = _("assessors")
        ordering = ["registration_number", "id"]
        constraints = [
            # R§10: one person, one institution — over the engagements not ended.
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(state="removed") & ~models.Q(id_number_hash=""),
                name="assessor_one_institution_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name or self.user} ({self.registration_number or '—'})"

    @property
    def display_name(self) -> str:
        return self.full_name or str(self.user)

    # ---- the state machine (R§11, R§14, R§16)

    @transition(field=state, source=S.NOMINATED, target=S.REGISTERED)
    def register(self):
        """R§11, R§14(2): the center verifies and registers (备案)."""

    @transition(field=state, source=S.REGISTERED, target=S.SUSPENDED)
    def suspend(self):
        """R§16."""

    @transition(field=state, source=S.SUSPENDED, target=S.REGISTERED)
    def reinstate(self):
        """R§16: the suspension is lifted."""

    @transition(field=state, source=[S.NOMINATED, S.REGISTERED, S.SUSPENDED], target=S.REMOVED)
    def remove(self):
        """R§16 (stopped by the center) or released by the institution: the person may then
        be nominated elsewhere (R§10)."""
