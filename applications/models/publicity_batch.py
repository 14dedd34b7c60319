from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicityBatch(models.Model):
    """M§14(4): results are published in batches (公示〔2026〕第N批). Publishing a batch opens
    the 7-day publicity of all its entries at once; each entry keeps its own
    `publicity_ends_at` (= the batch's end), so objections and the issue job read the entry.
    A published batch never changes."""

    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("batch number in the year"))
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    starts_at = models.DateTimeField(_("publicity starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("publicity ends"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("publicity batch")
        verbose_name_plural = _("publicity batches")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="publicity_batch_number"),
            models.CheckConstraint(
                name="publicity_batch_dates_together",
                condition=models.Q(starts_at__isnull=True, ends_at__isnull=True)
                | models.Q(starts_at__isnull=False, ends_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"公示〔{self.year}〕第{self.sequence}批"

    @property
    def is_published(self) -> bool:
        return self.starts_at is not None
