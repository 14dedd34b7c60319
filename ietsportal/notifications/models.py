from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .messages import render_message


class Notification(models.Model):
    """One message to one user: the in-app inbox, and the outbox of e-mail (email_sent_at)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # the index on (recipient, read_at) serves it (issue #8)
    )
    key = models.CharField(_("event"), max_length=64)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # Not indexed alone: the inbox reads by recipient, the outbox by the partial index below;
    # each index more is a write per notification the jobs create by the ten thousand (#8).
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["created_at"],
                name="notification_email_pending",
                condition=models.Q(email_sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return render_message(self.key, self.params)


class NotificationText(models.Model):
    """The center's own wording of one notification (`messages.MESSAGES` key) in one language;
    without a row the default text applies. It uses exactly the default's placeholders."""

    key = models.CharField(_("event"), max_length=64)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("notification text")
        verbose_name_plural = _("notification texts")
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="notification_text_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"
