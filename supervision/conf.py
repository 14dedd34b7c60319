"""Supervision's settings, with their defaults (override in settings or the environment)."""

import os

from django.conf import settings

DEFAULTS = {
    # No deadline is set by the rules (M§23); the center's own service standard.
    "CASE_DEADLINE_DAYS": 30,
    # Above this many rows an export runs in the Celery worker and the page polls for it.
    "EXPORT_ASYNC_THRESHOLD": 5000,
    "EXPORT_CHUNK_SIZE": 2000,
    "EXPORT_KEEP_DAYS": 7,
}


def setting(name: str) -> int:
    if hasattr(settings, name):
        return getattr(settings, name)
    return int(os.environ.get(name, DEFAULTS[name]))
