"""The center edits the wording of notifications (issue #3 "editable templates"), per key and
language; the override keeps exactly the placeholders of the default text."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _g

from ietsportal.audit.services import audit_record
from ietsportal.errors import InvalidInput, NotFound

from .messages import MESSAGES, default_text, placeholders, texts_forget
from .models import NotificationText

MAX_LENGTH = 1000
# Sample values for the preview, by placeholder name; any other shows as «name».
SAMPLES = {
    "number": "SQ20260000001",
    "certificate": "IETS-3-2026-000001",
    "deadline": "2026-04-01",
    "due_on": "2026-04-01",
    "ends_at": "2026-04-08 09:00",
    "batch": "公示〔2026〕第1批",
}


def _center_only(actor):
    if actor is None or not getattr(actor, "is_center_staff", False):
        raise NotFound()


def _known(key: str, language: str):
    if key not in MESSAGES or language not in dict(settings.LANGUAGES):
        raise NotFound()


def notification_text_check(*, key: str, language: str, text) -> str:
    """The text, stripped, if it can replace the default: not empty, not too long, exactly the
    default's placeholders (%(name)s), and no stray `%` (write `%%` for a percent sign)."""
    _known(key, language)
    text = (text if isinstance(text, str) else "").strip()
    if not text:
        raise InvalidInput(_g("The text is required."), field="text")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            _g("The text is too long (at most %(n)d characters).") % {"n": MAX_LENGTH},
            field="text",
        )
    expected, used = placeholders(default_text(key, language)), placeholders(text)
    if used != expected:

        def listed(names):
            return ", ".join(f"%({n})s" for n in sorted(names)) or "—"

        raise InvalidInput(
            _g(
                "The text must use exactly the placeholders of the default: %(expected)s. "
                "Missing: %(missing)s. Unknown: %(unknown)s."
            )
            % {
                "expected": listed(expected),
                "missing": listed(expected - used),
                "unknown": listed(used - expected),
            },
            field="text",
        )
    try:
        text % dict.fromkeys(expected, "")
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(
            _g(
                "The text has a percent sign that is not a placeholder: write it twice to show "
                "a percent sign."
            ),
            field="text",
        ) from None
    return text


def notification_text_preview(*, key: str, language: str, text) -> str:
    """The checked text with sample values in its placeholders."""
    text = notification_text_check(key=key, language=language, text=text)
    return text % {name: SAMPLES.get(name, f"«{name}»") for name in placeholders(text)}


def notification_text_set(
    *, actor, key: str, language: str, text, now: datetime
) -> NotificationText:
    _center_only(actor)
    text = notification_text_check(key=key, language=language, text=text)
    with transaction.atomic():
        row = NotificationText.objects.select_for_update().filter(key=key, language=language)
        row = row.first()
        before = row.text if row else None
        if row is None:
            row = NotificationText(key=key, language=language)
        row.text, row.updated_at, row.updated_by = text, now, actor
        row.save()
        audit_record(
            actor=actor,
            action="notification_text.set",
            obj=row,
            now=now,
            visible_to_applicant=False,
            data={"key": key, "language": language, "before": before, "text": text},
        )
        transaction.on_commit(texts_forget)
    texts_forget()
    return row


def notification_text_reset(*, actor, key: str, language: str, now: datetime) -> bool:
    """Back to the default text; False when there was no override."""
    _center_only(actor)
    _known(key, language)
    with transaction.atomic():
        row = (
            NotificationText.objects.select_for_update().filter(key=key, language=language).first()
        )
        if row is None:
            return False
        audit_record(
            actor=actor,
            action="notification_text.reset",
            obj=row,
            now=now,
            visible_to_applicant=False,
            data={"key": key, "language": language, "before": row.text},
        )
        row.delete()
        transaction.on_commit(texts_forget)
    texts_forget()
    return True
