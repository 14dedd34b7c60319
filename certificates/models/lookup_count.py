from django.db import models
from django.utils.translation import gettext_lazy as _


class LookupCount(models.Model):
    """How often the public looked certificates up, per day and channel (issue #4)."""

    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=16)
    count = models.PositiveBigIntegerField(_("lookups"), default=0)

    class Meta:
        verbose_name = _("lookup count")
        verbose_name_plural = _("lookup counts")
        constraints = [
            models.UniqueConstraint(fields=["day", "channel"], name="one_count_per_day_channel")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.count}"
