"""M§5: supplier-selection evaluation. A buyer compares candidate suppliers with its own
weights over the four areas of M§3, their certificates from the register and what each
candidate chose to share."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.enums import Grade

from ..enums import CandidateState, ProjectState, Sharing


class SelectionProjectQuerySet(models.QuerySet):
    def for_user(self, user):
        """Tenancy: the buying organisation's users only."""
        if user is None or not user.is_authenticated or not user.is_applicant:
            return self.none()
        return self.filter(buyer_id=user.organization_id)


class SelectionProject(models.Model):
    buyer = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="selection_projects",
        verbose_name=_("buying organisation"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    weight_basic = models.PositiveSmallIntegerField(_("weight of basic capability"))
    weight_technical = models.PositiveSmallIntegerField(_("weight of technical capability"))
    weight_service = models.PositiveSmallIntegerField(_("weight of service capability"))
    weight_operational = models.PositiveSmallIntegerField(_("weight of operational capability"))
    min_grade = models.CharField(
        _("minimum grade"), max_length=8, choices=Grade.choices, blank=True
    )
    requires_valid_certificate = models.BooleanField(_("a valid certificate"), default=False)
    requires_innovation = models.BooleanField(_("an innovation evaluation"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=ProjectState.choices, default=ProjectState.OPEN
    )
    chosen = models.ForeignKey(
        "selection.Candidate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chosen supplier"),
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True, max_length=5000)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))

    objects = SelectionProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("selection project")
        verbose_name_plural = _("selection projects")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="selection_weights_sum_100",
                condition=models.Q(
                    weight_basic__lte=100,
                    weight_technical__lte=100,
                    weight_service__lte=100,
                    weight_operational__lte=100,
                )
                & models.Q(
                    weight_basic=100
                    - models.F("weight_technical")
                    - models.F("weight_service")
                    - models.F("weight_operational")
                ),
            ),
            models.CheckConstraint(
                name="selection_decided_has_choice",
                condition=models.Q(state="open") | models.Q(chosen__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weights(self) -> dict[str, int]:
        return {
            "basic": self.weight_basic,
            "technical": self.weight_technical,
            "service": self.weight_service,
            "operational": self.weight_operational,
        }


class CandidateQuerySet(models.QuerySet):
    def for_user(self, user):
        """The candidate side: the invited organisation's users see their own invitation —
        never the other candidates."""
        if user is None or not user.is_authenticated or not user.is_applicant:
            return self.none()
        return self.filter(organization_id=user.organization_id)


class Candidate(models.Model):
    project = models.ForeignKey(
        SelectionProject, on_delete=models.CASCADE, related_name="candidates"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="selection_invitations",
        verbose_name=_("candidate"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=CandidateState.choices, default=CandidateState.INVITED
    )
    sharing = models.CharField(_("shares"), max_length=16, choices=Sharing.choices, blank=True)
    self_evaluation = models.ForeignKey(
        "selection.SelfEvaluation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shared_with",
        verbose_name=_("shared self-evaluation"),
    )
    invited_at = models.DateTimeField(_("invited"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organization"], name="candidate_once_per_project"
            ),
            models.CheckConstraint(
                name="candidate_shares_only_when_accepted",
                condition=models.Q(state="accepted")
                | models.Q(sharing="", self_evaluation__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return str(self.organization)
