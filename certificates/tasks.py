from celery import shared_task

from .services import certificate_pdf_ensure


@shared_task(acks_late=True)
def render_certificate_pdf(certificate_id: int) -> None:
    """Idempotent: renders only when the stored PDF is not of the current version."""
    from .models import Certificate

    if Certificate.objects.filter(pk=certificate_id).exists():
        certificate_pdf_ensure(certificate_id=certificate_id)
