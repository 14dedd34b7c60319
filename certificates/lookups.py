"""Public lookups: counted per day and channel in the cache (one atomic INCR, no database
write on the hot path), persisted by a scheduled job; and rate-limited per client address."""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

CHANNELS = ("html", "api", "qr")
KEY = "lookups:{day}:{channel}"
TTL = 3 * 24 * 3600


def lookup_count(channel: str, now: datetime | None = None) -> None:
    key = KEY.format(day=timezone.localdate(now).isoformat(), channel=channel)
    if cache.add(key, 1, TTL):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, TTL)


def lookup_counts_persist(*, now: datetime) -> int:
    """Copy today's and yesterday's counters into LookupCount (absolute values: idempotent)."""
    from .models import LookupCount

    today = timezone.localdate(now)
    written = 0
    with transaction.atomic():
        for day in (today - timedelta(days=1), today):
            for channel in CHANNELS:
                value = cache.get(KEY.format(day=day.isoformat(), channel=channel))
                if value is None:
                    continue
                LookupCount.objects.update_or_create(
                    day=day, channel=channel, defaults={"count": int(value)}
                )
                written += 1
    return written


def too_many_requests(request, exception):
    """django-ratelimit's view when a client looks up too often: 429 with a clear page."""
    html = render_to_string("429.html", request=request)
    return HttpResponse(html, status=429, headers={"Retry-After": "60"})
