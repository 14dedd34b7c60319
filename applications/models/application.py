"""The application (评价申请) and its whole state machine, in one place.

The transition methods below declare source, target and who may fire them; they change nothing
but the state. `applications.services.application_transition` is the only caller: it locks the
row, checks the conditions of `applications.workflow`, fires the method, saves, writes the audit
record and queues the notifications, all in one transaction.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .. import permissions as can
from ..enums import ApplicationState as S
from ..enums import EvaluationKind, Grade


class ApplicationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Tenancy, in one place: what `user` may see at all; everything else is a 404."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_center_staff:
            return self.all()
        if user.is_applicant:
            return self.filter(organization_id=user.organization_id)
        if user.is_institution_admin:
            return self.filter(institution_id=user.institution_id).exclude(state=S.DRAFT)
        if user.is_assessor:
            return self.filter(institution_id=user.institution_id, assessors=user)
        if user.is_expert:
            # django-guardian: the center grants an expert one application at a time (a user
            # object permission; no group grants). Read as `id IN (SELECT object_pk::bigint …
            # WHERE user_id = …)`: guardian's own get_objects_for_user casts every id of the
            # table to text and reads it whole, seconds at a million rows (issue #8).
            from django.contrib.contenttypes.models import ContentType
            from django.db.models.functions import Cast
            from guardian.models import UserObjectPermission

            granted = (
                UserObjectPermission.objects.filter(
                    user=user,
                    permission__codename="review_application",
                    content_type=ContentType.objects.get_for_model(self.model),
                )
                .annotate(object_id=Cast("object_pk", models.BigIntegerField()))
                .values("object_id")
            )
            return self.filter(pk__in=granted)
        return self.none()


class Application(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("application number"), max_length=32, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("organisation"),
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("evaluation institution"),
    )
    kind = models.CharField(
        _("kind of evaluation"),
        max_length=16,
        choices=EvaluationKind.choices,
        default=EvaluationKind.GRADE,
    )
    previous_certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reevaluations",
        verbose_name=_("certificate being re-evaluated"),
    )
    requested_grade = models.CharField(
        _("requested grade"), max_length=8, choices=Grade.choices, blank=True
    )
    description = models.TextField(
        _("description of the organisation's capability"), blank=True, max_length=5000
    )
    declares_independent_legal_person = models.BooleanField(
        _("the organisation is an independent legal person registered in the PRC"), default=False
    )
    declares_no_violations = models.BooleanField(
        _("no violations of law or serious dishonesty in the last three years"), default=False
    )
    state = FSMField(_("state"), max_length=24, choices=S.choices, default=S.DRAFT, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("last change"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    rubric = models.ForeignKey(
        "rubrics.Rubric",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("rubric version"),
        help_text=_("M§3: the rubric version current when the application was accepted."),
    )

    # Institution review (M§14(2)).
    lead_assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lead assessor"),
    )
    assessors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assessed_applications",
        verbose_name=_("assessors"),
    )
    document_review_notes = models.TextField(_("document review notes"), blank=True)
    onsite_visit_on = models.DateField(_("on-site visit date"), null=True, blank=True)
    onsite_findings = models.TextField(_("on-site findings"), blank=True)
    score_basic = models.DecimalField(
        _("basic capability score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_technical = models.DecimalField(
        _("technical capability score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_service = models.DecimalField(
        _("service capability score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_operational = models.DecimalField(
        _("operational capability score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_total = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    computed_grade = models.CharField(
        _("grade computed from the thresholds"), max_length=8, choices=Grade.choices, blank=True
    )
    recommended_grade = models.CharField(
        _("recommended grade"), max_length=8, choices=Grade.choices, blank=True
    )
    grade_override_reason = models.TextField(
        _("reason for recommending another grade than the computed one"), blank=True
    )
    report = models.TextField(_("evaluation report"), blank=True)

    # Center decision and publicity (M§14(3)–(5)).
    final_grade = models.CharField(
        _("final grade"), max_length=8, choices=Grade.choices, blank=True
    )
    last_reason = models.TextField(_("reason given at the last decision"), blank=True)
    publicity_starts_at = models.DateTimeField(_("publicity starts"), null=True, blank=True)
    publicity_ends_at = models.DateTimeField(_("publicity ends"), null=True, blank=True)
    publicity_batch = models.ForeignKey(
        "applications.PublicityBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("publicity batch"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        permissions = [("review_application", _("Can give an expert opinion on the application"))]
        indexes = [
            models.Index(fields=["state", "publicity_ends_at"]),
            models.Index(fields=["institution", "state"]),
            models.Index(fields=["organization", "state"]),
            # issue #8: the workspace's list, newest change first, and its queues by state,
            # read in index order instead of sorting 1.1 million rows
            models.Index(fields=["updated_at", "id"], name="application_updated_idx"),
            models.Index(fields=["state", "updated_at", "id"], name="application_state_upd_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="grade_only_for_grade_kind",
                condition=models.Q(kind="grade") | models.Q(requested_grade="", final_grade=""),
            ),
            models.CheckConstraint(
                name="total_within_range",
                condition=models.Q(score_total__isnull=True)
                | models.Q(score_total__gte=0, score_total__lte=100),
            ),
            models.CheckConstraint(
                name="scores_within_range",
                condition=(
                    (
                        models.Q(score_basic__isnull=True)
                        | models.Q(score_basic__gte=0, score_basic__lte=100)
                    )
                    & (
                        models.Q(score_technical__isnull=True)
                        | models.Q(score_technical__gte=0, score_technical__lte=100)
                    )
                    & (
                        models.Q(score_service__isnull=True)
                        | models.Q(score_service__gte=0, score_service__lte=100)
                    )
                    & (
                        models.Q(score_operational__isnull=True)
                        | models.Q(score_operational__gte=0, score_operational__lte=100)
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total_score(self):
        """The rubric's weighted total; older results without one: the areas' average."""
        if self.score_total is not None:
            return self.score_total
        scores = [
            self.score_basic,
            self.score_technical,
            self.score_service,
            self.score_operational,
        ]
        if any(s is None for s in scores):
            return None
        return (sum(scores) / 4).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def is_graded(self) -> bool:
        return self.kind == EvaluationKind.GRADE

    # ---- The state machine (DESIGN.md). Bodies are empty: services do the work. ----

    @transition(field=state, source=S.DRAFT, target=S.SUBMITTED, permission=can.is_applicant_of)
    def submit(self):
        """M§13–14(1): the applicant submits to the institution it chose."""

    @transition(
        field=state,
        source=S.RETURNED_TO_APPLICANT,
        target=S.SUBMITTED,
        permission=can.is_applicant_of,
    )
    def resubmit(self):
        """The applicant answers a request for more material (补正)."""

    @transition(
        field=state,
        source=[S.DRAFT, S.SUBMITTED, S.RETURNED_TO_APPLICANT, S.DOCUMENT_REVIEW, S.ONSITE_REVIEW],
        target=S.WITHDRAWN,
        permission=can.is_applicant_of,
    )
    def withdraw(self):
        """M§6 (voluntary): the applicant may withdraw before the report is filed."""

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.DOCUMENT_REVIEW,
        permission=can.is_institution_admin_of,
    )
    def accept(self):
        """M§14(2): the institution accepts (受理) and assigns its assessors."""

    @transition(
        field=state, source=S.SUBMITTED, target=S.REFUSED, permission=can.is_institution_admin_of
    )
    def refuse(self):
        """M§14(2): the institution does not accept (不予受理), with reasons."""

    @transition(
        field=state,
        source=[S.SUBMITTED, S.DOCUMENT_REVIEW],
        target=S.RETURNED_TO_APPLICANT,
        permission=can.is_institution_admin_or_lead_of,
    )
    def return_to_applicant(self):
        """The institution's admin or lead assessor asks for more material (补正材料)."""

    @transition(
        field=state,
        source=S.DOCUMENT_REVIEW,
        target=S.ONSITE_REVIEW,
        permission=can.is_assigned_assessor_of,
    )
    def finish_document_review(self):
        """M§14(2): document review done, on to the on-site review."""

    @transition(
        field=state,
        source=S.ONSITE_REVIEW,
        target=S.REPORTED,
        permission=can.is_assigned_assessor_of,
    )
    def file_report(self):
        """M§14(2): the evaluation report with the four area scores and a recommended grade."""

    @transition(
        field=state, source=S.REPORTED, target=S.EXPERT_REVIEW, permission=can.is_center_staff
    )
    def start_expert_review(self):
        """M§14(3): the center organises the expert review."""

    @transition(
        field=state, source=S.EXPERT_REVIEW, target=S.ONSITE_REVIEW, permission=can.is_center_staff
    )
    def send_back(self):
        """The center sends the evaluation back to the institution's on-site review."""

    @transition(
        field=state, source=S.EXPERT_REVIEW, target=S.PUBLICITY, permission=can.is_center_staff
    )
    def confirm(self):
        """M§7, M§14(4): the center confirms the result, which opens the 7-day publicity."""

    @transition(
        field=state,
        source=[S.EXPERT_REVIEW, S.PUBLICITY],
        target=S.REJECTED,
        permission=can.is_center_staff,
    )
    def reject(self):
        """The center does not pass the application (未通过), also after an upheld objection."""

    @transition(
        field=state, source=S.PUBLICITY, target=S.EXPERT_REVIEW, permission=can.is_center_staff
    )
    def reopen_review(self):
        """An upheld objection during publicity sends the result back to expert review."""

    @transition(
        field=state,
        source=S.REJECTED,
        target=S.EXPERT_REVIEW,
        permission=can.is_center_staff,
        conditions=[lambda app: app.reconsideration_case is not None],
    )
    def reconsider(self):
        """M§25: an upheld reconsideration (复议) reopens a result that did not pass with a new
        expert review round. Only `supervision.services.case_decide` fires it: the step's
        handler checks the upheld case it is given and sets `reconsideration_case`."""

    # Set by the `reconsider` step's handler once it has checked the upheld case (never from
    # request data, which cannot hold a case object).
    reconsideration_case = None

    @transition(field=state, source=S.PUBLICITY, target=S.ISSUED, permission=can.is_center_staff)
    def issue(self):
        """M§14(5): no objection holds after 7 days: the certificate is issued."""
