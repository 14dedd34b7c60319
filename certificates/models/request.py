from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import RequestKind, RequestState


class CertificateRequest(models.Model):
    """M§21–22: a change (换发) or a replacement copy (补发), filed with the institution,
    verified by it and approved by the center, which issues a new version (same number)."""

    certificate = models.ForeignKey(
        "certificates.Certificate",
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("certificate"),
    )
    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    changed_on = models.DateField(_("date of the change"), null=True, blank=True)
    details = models.TextField(_("details"), max_length=5000)
    new_name = models.CharField(_("new registered name"), max_length=200, blank=True)
    late = models.BooleanField(_("filed after the deadline"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=RequestState.choices, default=RequestState.FILED
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verification_note = models.TextField(_("verification note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    resulting_version = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("certificate request")
        verbose_name_plural = _("certificate requests")
        ordering = ["filed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=models.Q(state__in=["filed", "verified"]),
                name="one_open_request_per_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate} {self.kind}"
