from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ietsportal.indexes import index_where_set

from ..enums import DecisionKind, DecisionReason


class CertificateDecision(models.Model):
    """M§19–20: the center suspends, revokes or reinstates; the institution relays the notice
    to the holder, and the holder may ask for reconsideration through the institution."""

    certificate = models.ForeignKey(
        "certificates.Certificate",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("certificate"),
        db_index=False,  # the (certificate, relayed_at) index leads with it
    )
    kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=DecisionReason.choices)
    explanation = models.TextField(_("explanation"), max_length=5000)
    evidence = models.FileField(_("evidence"), upload_to="decisions/", blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed where set (Meta): the jobs' revocations have no user
    )
    decided_at = models.DateTimeField(_("decided"))
    relayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed where set (Meta): the jobs' revocations have no user
    )
    relayed_at = models.DateTimeField(_("relayed to the holder"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate decision")
        verbose_name_plural = _("certificate decisions")
        ordering = ["decided_at", "id"]
        indexes = [
            models.Index(fields=["certificate", "relayed_at"]),
            index_where_set("decision", "decided_by"),
            index_where_set("decision", "relayed_by"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate} {self.kind}"
