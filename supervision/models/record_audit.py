from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordAuditQuerySet(models.QuerySet):
    def for_user(self, user):
        """M§24: the center's own work; nobody else sees it."""
        if user is None or not user.is_authenticated or not user.is_center_staff:
            return self.none()
        return self.all()


class RecordAudit(models.Model):
    """M§24: the center checks that an institution's evaluation records of a period are
    complete and truthful."""

    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="record_audits",
        verbose_name=_("evaluation institution"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"))
    chain_checked_at = models.DateTimeField(_("audit chain checked"), null=True, blank=True)
    chain_problem = models.TextField(_("audit chain problem"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True, max_length=5000)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RecordAuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("record audit")
        verbose_name_plural = _("record audits")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="record_audit_period_order",
                condition=models.Q(period_end__gte=models.F("period_start")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.period_start}–{self.period_end}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AuditFinding(models.Model):
    audit = models.ForeignKey(RecordAudit, on_delete=models.PROTECT, related_name="findings")
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("application"),
    )
    text = models.TextField(_("finding"), max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"))
    case = models.OneToOneField(
        "supervision.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="finding",
        verbose_name=_("case opened"),
    )

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]
