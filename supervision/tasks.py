from celery import shared_task


@shared_task(acks_late=True)
def run_export(job_id: int) -> None:
    """Idempotent: a job already done or failed is left alone."""
    from django.utils import timezone

    from .services_exports import export_job_run

    export_job_run(job_id=job_id, now=timezone.now())
