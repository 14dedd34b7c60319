from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ObjectionState


class Objection(models.Model):
    """M§14(4): an objection from the public to a result in its publicity window."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("application"),
    )
    name = models.CharField(_("real name"), max_length=100)
    contact = models.CharField(_("contact (phone or e-mail)"), max_length=200)
    reason = models.TextField(_("reasons"), max_length=5000)
    state = models.CharField(
        _("state"), max_length=16, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    filed_at = models.DateTimeField(_("filed"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(_("decision"), blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["filed_at", "id"]
        indexes = [models.Index(fields=["application", "state"])]

    def __str__(self) -> str:
        return f"{self.application} / {self.name}"
