from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import ExportState


class ExportJob(models.Model):
    """A long export run by the Celery worker; only its creator sees and downloads it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    dataset = models.CharField(max_length=32)
    fmt = models.CharField(max_length=8)
    filters = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ExportState.choices, default=ExportState.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.dataset}.{self.fmt} #{self.pk}"

    @property
    def progress(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
