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


def notifications_create_from(*, recipients, key: str, params: dict, link, now: datetime):
    """Set-based notifications built by the database (issue #8): one to each row of
    `recipients`, a queryset of users — one row per event, as its joins give them (the
    holders of a batch of certificates: a holder of two is told twice) — with `params` (name
    → expression, e.g. `F("organization__certificates__number")`, reusing the queryset's
    joins) and `link` (an expression) per row. One `INSERT … SELECT`; only active users are
    told; the e-mails are queued after commit, as `notifications_create_many`'s."""
    from django.db.models import DateTimeField, F, Value
    from django.db.models.functions import JSONObject

    from ietsportal.bulk import insert_select

    ids = insert_select(
        Notification,
        ["recipient", "key", "params", "link", "created_at"],
        recipients.filter(is_active=True),
        [F("pk"), Value(key), JSONObject(**params), link, Value(now, output_field=DateTimeField())],
        returning=True,
    )
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    try:
        # a job batch queues thousands of ids: the broker's and the worker's logs say how many
        # rather than listing them (Celery would render them all, issue #8)
        send_notification_emails.apply_async((ids,), argsrepr=f"([{len(ids)} ids],)")
    except Exception:  # broker unreachable: the outbox sweep sends them later
        logger.warning("broker unavailable; %d notification e-mails left in the outbox", len(ids))


SWEEP_LIMIT = 500  # e-mails per run of the outbox sweep (`send_pending_notifications`)


def notification_emails_send(*, ids: Iterable[int] | None = None, now: datetime) -> int:
    """Send the e-mail of each pending notification once; safe to run twice or concurrently.

    With `ids` (the notifications a service or a job batch just created, after its commit):
    all of them (issue #8: a job batch queues thousands; the task used to send the first 500
    and leave the rest to the sweep, 500 every few minutes). Without: the outbox sweep, the
    oldest `SWEEP_LIMIT` still pending."""
    texts_forget()  # the center may have changed a text since this worker's last run
    pending = Notification.objects.filter(email_sent_at__isnull=True)
    if ids is None:
        oldest = pending.order_by("created_at", "pk")  # by the outbox's partial index
        chunks = [list(oldest.values_list("pk", flat=True)[:SWEEP_LIMIT])]
    else:
        ids = sorted(set(ids))
        chunks = [ids[start : start + SWEEP_LIMIT] for start in range(0, len(ids), SWEEP_LIMIT)]
    sent = 0
    for chunk in chunks:
        for pk in pending.filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True):
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
