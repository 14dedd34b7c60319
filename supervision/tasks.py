from celery import shared_task


@shared_task(acks_late=True)
def run_export(job_id: int) -> None:
    """Idempotent: a job already done or failed is left alone."""
    from django.utils import timezone

    from .services_exports import export_job_run

    export_job_run(job_id=job_id, now=timezone.now())


@shared_task(acks_late=True)
def verify_record_audit_chain(audit_id: int) -> None:
    """M§24: a record audit's check of the whole audit chain (too long for a web request at a
    million certificates). Run twice, it records the later result."""
    from django.utils import timezone

    from .record_audits import record_audit_verify_chain

    record_audit_verify_chain(audit_id=audit_id, now=timezone.now())
