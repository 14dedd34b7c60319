"""Public lookups: counted per day and channel in the cache (one atomic INCR, no database
write on the hot path), persisted by a scheduled job; and rate-limited per client address."""

from datetime import datetime, timedelta

from django.conf import settings
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


# ---- the cached answer of a public lookup by number (issue #8)
#
# The public page and the API answer for one certificate are cached per number (and language),
# so the busiest read of the portal costs no database query. Correctness comes from
# invalidation, never from expiry: every write that can change what the public sees — a
# certificate saved or updated (status, version, edition, dates, holder), its holder or
# institution renamed, a row deleted — forgets the number's answers, in the transaction and
# again after commit (`answers_forget_on_commit`), so a status change shows at once. The TTL
# only bounds the memory of answers nobody asks for.

ANSWER_KEY = "lookup:answer:v1:{number}:{variant}"
ANSWER_TTL = 6 * 3600
# the variants kept per number: the JSON of the API and the HTML record per language
ANSWER_VARIANTS = ("json", *(f"html-{code}" for code, _name in settings.LANGUAGES))
# Certificate fields the public answer does not show: updating only these forgets nothing.
PRIVATE_FIELDS = frozenset(
    {"pdf", "pdf_version", "reevaluation_opened_notified", "reevaluation_closing_notified"}
)
_CHUNK = 2000


def _redis():
    """The raw Redis client behind the default cache, or None for another backend. With it a
    lookup counts and reads its cached answer in one round trip (a pipeline)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]  # `cache` is a proxy: isinstance needs the backend itself
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(None, write=True)
    return None


def answer_key(number: str, variant: str) -> str:
    return ANSWER_KEY.format(number=number, variant=variant)


def lookup_count_and_answer(channel: str, number: str, variant: str) -> bytes | None:
    """Count a lookup (`lookup_count`) and return the cached answer, if any."""
    key = answer_key(number, variant)
    client = _redis()
    if client is None:
        lookup_count(channel)
        return cache.get(key)
    count_key = cache.make_and_validate_key(
        KEY.format(day=timezone.localdate().isoformat(), channel=channel)
    )
    pipe = client.pipeline(transaction=False)
    pipe.incr(count_key)
    pipe.expire(count_key, TTL, nx=True)
    pipe.get(cache.make_and_validate_key(key))
    _count, _ttl, answer = pipe.execute()
    return answer


def answer_store(number: str, variant: str, body: bytes) -> None:
    key = answer_key(number, variant)
    client = _redis()
    if client is None:
        cache.set(key, body, ANSWER_TTL)
    else:
        client.set(cache.make_and_validate_key(key), body, ex=ANSWER_TTL)


def answers_forget(numbers) -> int:
    """Forget every cached answer of these certificate numbers; returns the keys named."""
    keys = [answer_key(n, v) for n in numbers for v in ANSWER_VARIANTS]
    client = _redis()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        if client is None:
            cache.delete_many(chunk)
        else:
            # answer_key() builds short ASCII keys: no need to validate each one again (the
            # validation was the jobs' largest cost in Python at a million certificates).
            client.delete(*(cache.make_key(k) for k in chunk))
    return len(keys)


def answers_forget_on_commit(numbers) -> None:
    """Forget now (no reader refills from the old row after we are done) and again after the
    commit (a reader that read the old row while we wrote cannot leave it behind)."""
    numbers = list(numbers)
    if not numbers:
        return
    answers_forget(numbers)
    transaction.on_commit(lambda: answers_forget(numbers))


def _forget_certificate(sender, instance, **kwargs):
    answers_forget_on_commit([instance.number])


def _forget_holder(sender, instance, **kwargs):
    from .models import Certificate

    if sender._meta.label_lower == "accounts.organization":
        numbers = Certificate.objects.filter(organization_id=instance.pk)
    else:
        numbers = Certificate.objects.filter(institution_id=instance.pk)
    answers_forget_on_commit(numbers.values_list("number", flat=True))


def connect_invalidation() -> None:
    """certificates.apps.ready(): saves and deletes of what a public answer shows."""
    from django.db.models.signals import post_delete, post_save

    from .models import Certificate

    post_save.connect(_forget_certificate, sender=Certificate, dispatch_uid="lookup-cert-save")
    post_delete.connect(_forget_certificate, sender=Certificate, dispatch_uid="lookup-cert-del")
    for label in ("accounts.Organization", "institutions.Institution"):
        post_save.connect(_forget_holder, sender=label, dispatch_uid=f"lookup-{label}")
