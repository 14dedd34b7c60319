import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from .messages import texts_forget
from .models import Notification

logger = logging.getLogger(__name__)


def notification_create(
    *, recipients: Iterable, key: str, params: dict, link: str = "", now: datetime
) -> list[int]:
    """Queue a notification to each recipient inside the caller's transaction; the e-mail goes
    out after commit. The rows are the outbox: a mail not sent now (broker down) is sent by the
    next `send_pending_notifications` job (ietsportal/jobs.py)."""
    return notifications_create_many(items=[(recipients, key, params, link)], now=now)


def notifications_create_many(
    *, items: Iterable[tuple[Iterable, str, dict, str]], now: datetime
) -> list[int]:
    """`notification_create` for many events at once — (recipients, key, params, link) each —
    in one INSERT: the scheduled jobs notify set-based, whatever the number of rows. Returns
    the new notifications' ids.

    Issue #8: rows are plain tuples inserted by `ietsportal.bulk.insert_rows`, no model
    instance per notification."""
    import json

    from ietsportal.bulk import JSONText, insert_rows

    rows = []
    for recipients, key, params, link in items:
        seen = set()
        encoded = None  # the params, encoded once for all the event's recipients
        for user in recipients:
            if user is None or not user.is_active or user.pk in seen:
                continue
            seen.add(user.pk)
            if encoded is None:
                encoded = JSONText(json.dumps(params, ensure_ascii=False))
            rows.append((user.pk, key, encoded, link, now))
    if not rows:
        return []
    fields = ["recipient", "key", "params", "link", "created_at"]
    from django.db import connections, router

    if connections[router.db_for_write(Notification)].features.can_return_rows_from_bulk_insert:
        ids = insert_rows(Notification, fields, rows, returning=True)
    else:  # pragma: no cover - every supported database returns rows
        ids = [
            n.pk
            for n in Notification.objects.bulk_create(
                [
                    Notification(recipient_id=r, key=k, params=json.loads(p), link=li, created_at=c)
                    for r, k, p, li, c in rows
                ],
                batch_size=500,
            )
        ]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    try:
        send_notification_emails.delay(ids)
    except Exception:  # broker unreachable: the outbox sweep sends them later
        logger.warning("broker unavailable; %d notification e-mails left in the outbox", len(ids))


def notification_emails_send(*, ids: Iterable[int] | None = None, now: datetime) -> int:
    """Send the e-mail of each pending notification once; safe to run twice or concurrently."""
    texts_forget()  # the center may have changed a text since this worker's last run
    sent = 0
    pending = Notification.objects.filter(email_sent_at__isnull=True).select_related("recipient")
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    for pk in pending.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=pk, email_sent_at__isnull=True)
                .first()
            )
            if row is None:
                continue
            if row.recipient.email:
                with translation.override(settings.LANGUAGE_CODE):
                    send_mail(
                        subject=f"[IETS] {row.text}"[:150],
                        message=f"{row.text}\n\n{settings.SITE_URL}{row.link}",
                        from_email=None,
                        recipient_list=[row.recipient.email],
                    )
            row.email_sent_at = now
            row.save(update_fields=["email_sent_at"])
            sent += 1
    return sent


def notification_mark_read(
    *, user, now: datetime | None = None, ids: list[int] | None = None
) -> int:
    """Mark the user's unread notifications read: all of them, or those of `ids` (others' ids
    are ignored). One UPDATE; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=now or timezone.now())
