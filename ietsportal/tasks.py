from celery import shared_task
from django.utils import timezone

from . import jobs


@shared_task(name="ietsportal.tasks.run_due_jobs", acks_late=True)
def run_due_jobs(at: str | None = None) -> dict[str, int]:
    """Beat runs this every few minutes; every job in it is idempotent."""
    from datetime import datetime

    now = datetime.fromisoformat(at) if at else timezone.now()
    return jobs.run_due_jobs(now=now)
