from celery import shared_task
from django.utils import timezone

from .services import notification_emails_send


@shared_task(acks_late=True)
def send_notification_emails(ids: list[int]) -> int:
    return notification_emails_send(ids=ids, now=timezone.now())
