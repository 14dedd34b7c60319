from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ReconsiderationState


class Reconsideration(models.Model):
    """M§20: the holder contests a suspension or revocation through the institution; the
    center upholds (the decision is withdrawn) or dismisses it, with a written reply."""

    decision = models.ForeignKey(
        "certificates.CertificateDecision",
        on_delete=models.PROTECT,
        related_name="reconsiderations",
        verbose_name=_("decision contested"),
    )
    grounds = models.TextField(_("grounds of the request"), max_length=5000)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ReconsiderationState.choices,
        default=ReconsiderationState.FILED,
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed"))
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    forwarded_at = models.DateTimeField(_("forwarded"), null=True, blank=True)
    forward_note = models.TextField(_("institution's note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)

    class Meta:
        verbose_name = _("reconsideration")
        verbose_name_plural = _("reconsiderations")
        ordering = ["filed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision"],
                condition=models.Q(state__in=["filed", "forwarded"]),
                name="one_open_reconsideration_per_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} / {self.state}"
