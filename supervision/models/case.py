"""Cases (M§23–26): complaints, appeals, reports and reconsideration requests, and their state
machine in one place. The transition methods declare source, target and who may fire them;
`supervision.services` is the only caller."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from ..enums import OPEN_CASE_STATES, CaseKind, SubjectKind
from ..enums import CaseState as S


def is_center_staff(instance, user) -> bool:
    return user is not None and user.is_center_staff


class CaseQuerySet(models.QuerySet):
    def for_user(self, user):
        """Tenancy: the center sees every case; a filer sees the cases they filed; nobody else
        sees any (an institution does not learn who complained about it)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_center_staff:
            return self.all()
        return self.filter(filer=user)

    def open(self):
        return self.filter(state__in=OPEN_CASE_STATES)


class Case(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("case number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    state = FSMField(_("state"), max_length=16, choices=S.choices, default=S.RECEIVED)

    # Who filed it: a user, or an anonymous reporter who follows it with a receipt code.
    filer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_filed",
        verbose_name=_("filed by"),
    )
    filer_name = models.CharField(_("name given"), max_length=100, blank=True)
    filer_contact = models.CharField(_("contact given"), max_length=200, blank=True)
    # SHA-256 of the receipt code; the code itself is shown once and never stored.
    receipt_hash = models.CharField(max_length=64, blank=True, db_index=True)

    # What it concerns: exactly one of these.
    subject_kind = models.CharField(_("concerns"), max_length=16, choices=SubjectKind.choices)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("application"),
    )
    certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("certificate"),
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("evaluation institution"),
    )
    assessor = models.ForeignKey(
        "institutions.Assessor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("assessor"),
    )
    # M§20: a certificate's reconsideration is handled on the certificate; a case may point
    # to it rather than duplicate it.
    reconsideration = models.ForeignKey(
        "certificates.Reconsideration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("certificate reconsideration (M§20)"),
    )

    summary = models.CharField(_("summary"), max_length=200)
    details = models.TextField(_("details"), max_length=5000)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_owned",
        verbose_name=_("owner at the center"),
    )
    received_at = models.DateTimeField(_("received"))
    deadline = models.DateField(_("deadline"))
    started_at = models.DateTimeField(_("investigation started"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reply = models.TextField(_("written reply"), blank=True, max_length=10000)
    actions = models.JSONField(_("actions taken"), default=list, blank=True)
    # The scheduled reminder that the deadline passed, sent once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"])]
        constraints = [
            models.CheckConstraint(
                name="case_has_exactly_one_subject",
                condition=(
                    models.Q(
                        subject_kind="application",
                        application__isnull=False,
                        certificate__isnull=True,
                        institution__isnull=True,
                        assessor__isnull=True,
                    )
                    | models.Q(
                        subject_kind="certificate",
                        application__isnull=True,
                        certificate__isnull=False,
                        institution__isnull=True,
                        assessor__isnull=True,
                    )
                    | models.Q(
                        subject_kind="institution",
                        application__isnull=True,
                        certificate__isnull=True,
                        institution__isnull=False,
                        assessor__isnull=True,
                    )
                    | models.Q(
                        subject_kind="assessor",
                        application__isnull=True,
                        certificate__isnull=True,
                        institution__isnull=True,
                        assessor__isnull=False,
                    )
                ),
            ),
            models.CheckConstraint(
                name="case_filer_or_receipt",
                condition=models.Q(filer__isnull=False) | ~models.Q(receipt_hash=""),
            ),
            models.CheckConstraint(
                name="case_anonymous_only_reports",
                condition=models.Q(filer__isnull=False) | models.Q(kind="report"),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def subject(self):
        return getattr(self, self.subject_kind)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CASE_STATES

    @property
    def badge_state(self) -> str:
        """The portal's badge colours (static/css/portal.css) that fit each case state."""
        return {
            S.RECEIVED: "submitted",
            S.IN_PROGRESS: "document_review",
            S.UPHELD: "valid",
            S.DISMISSED: "draft",
        }[self.state]

    @property
    def is_anonymous(self) -> bool:
        return self.filer_id is None

    # ---- The state machine (DESIGN.md). Bodies are empty: services do the work. ----

    @transition(field=state, source=S.RECEIVED, target=S.IN_PROGRESS, permission=is_center_staff)
    def start(self):
        """M§23: the center takes the case on and investigates it."""

    @transition(field=state, source=S.IN_PROGRESS, target=S.UPHELD, permission=is_center_staff)
    def uphold(self):
        """M§23: the case is founded; the reply says what follows (actions)."""

    @transition(field=state, source=S.IN_PROGRESS, target=S.DISMISSED, permission=is_center_staff)
    def dismiss(self):
        """M§23: the case is unfounded; the reply says why."""


class CaseNote(models.Model):
    """A message on a case. `internal` notes are the center's working notes, never shown to
    the filer; the others are the conversation the filer reads."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal = models.BooleanField(_("internal note"), default=False)
    text = models.TextField(_("text"), max_length=5000)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.pk}"


class CaseEvidence(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("case evidence")
        verbose_name_plural = _("case evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
