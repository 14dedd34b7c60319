"""Long exports: a job row, the file written by the worker under MEDIA_ROOT, progress saved
as it goes. Only the job's creator sees it."""

import secrets
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from ietsportal.audit.services import audit_record
from ietsportal.notifications.services import notification_create

from .enums import ExportState
from .exports import csv_write, dataset, export_filename, xlsx_write
from .models import ExportJob

FORMATS = ("csv", "xlsx")


def export_job_create(*, actor, name: str, fmt: str, params: dict, total: int, now: datetime):
    ds = dataset(name)
    filters = ds.active_filters(params)
    with transaction.atomic():
        job = ExportJob.objects.create(
            created_by=actor,
            dataset=ds.name,
            fmt=fmt,
            filters=filters,
            total=total,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="export.queue",
            obj=job,
            now=now,
            visible_to_applicant=False,
            data={"dataset": ds.name, "format": fmt, "filters": filters, "rows": total},
        )

        def _send():
            from .tasks import run_export

            try:
                run_export.delay(job.pk)
            except Exception:  # broker down: the job stays queued; the page says so
                import logging

                logging.getLogger(__name__).warning("broker unavailable; export %s", job.pk)

        transaction.on_commit(_send)
    return job


def export_job_run(*, job_id: int, now: datetime) -> ExportJob | None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (ExportState.DONE, ExportState.FAILED):
            return job
        job.state = ExportState.RUNNING
        job.save(update_fields=["state"])
    ds = dataset(job.dataset)
    # The creator's scope, as of now: someone who lost access gets nothing more.
    qs = ds.queryset(job.created_by, job.filters) if job.created_by.is_active else None
    name = f"exports/{secrets.token_hex(16)}/{export_filename(ds, job.fmt, job.created_at)}"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)

    def progress(done):
        ExportJob.objects.filter(pk=job.pk).update(done=done)

    try:
        rows = ds.rows(qs) if qs is not None else iter(())
        writer = xlsx_write if job.fmt == "xlsx" else csv_write
        written = writer(str(path), ds.headers, rows, progress)
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(state=ExportState.FAILED, error=str(exc)[:500])
        raise
    with transaction.atomic():
        job.refresh_from_db()
        job.state, job.done, job.file.name, job.finished_at = ExportState.DONE, written, name, now
        job.save(update_fields=["state", "done", "file", "finished_at"])
        notification_create(
            recipients=[job.created_by],
            key="export.done",
            params={"name": path.name},
            link=reverse("supervision:export-job", args=[job.pk]),
            now=now,
        )
    return job


STALE_AFTER_MINUTES = 10


def exports_requeue_stale(*, now: datetime) -> int:
    """An export still queued ten minutes after it was asked for (the broker was down when it
    was sent) is sent again; running it twice is harmless (`export_job_run` is idempotent)."""
    from datetime import timedelta

    from .tasks import run_export

    stale = list(
        ExportJob.objects.filter(
            state=ExportState.QUEUED, created_at__lt=now - timedelta(minutes=STALE_AFTER_MINUTES)
        ).values_list("pk", flat=True)[:100]
    )
    sent = 0
    for pk in stale:
        try:
            run_export.delay(pk)
            sent += 1
        except Exception:  # still down: the next run tries again
            break
    return sent


def exports_purge_old(*, now: datetime) -> int:
    """Export files are copies of data people can read anyway: keep them EXPORT_KEEP_DAYS,
    then delete the file and its job row."""
    from datetime import timedelta

    from .conf import setting

    old = ExportJob.objects.filter(
        created_at__lt=now - timedelta(days=setting("EXPORT_KEEP_DAYS"))
    ).exclude(state__in=[ExportState.QUEUED, ExportState.RUNNING])
    purged = 0
    for job in old.only("pk", "file")[:500]:
        if job.file:
            job.file.storage.delete(job.file.name)
        purged += 1
    ExportJob.objects.filter(pk__in=[j.pk for j in old.only("pk")[:500]]).delete()
    return purged
