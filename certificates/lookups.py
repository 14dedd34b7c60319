"""Public lookups: counted per day and channel in the cache (one atomic INCR, no database
write on the hot path), persisted by a scheduled job; and rate-limited per client address."""

import functools
import ipaddress
import json
import time
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

    local_counts_merge()
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
    """The page of a client that looks up too often: 429 with a clear page (also django-
    ratelimit's view, settings.RATELIMIT_VIEW)."""
    html = render_to_string("429.html", request=request)
    return HttpResponse(html, status=429, headers={"Retry-After": str(lookup_rate()[1])})


# ---- the gate of a public lookup: limit, count and cached answer (issue #8)
#
# Every public lookup passes `lookup_gate`: the client address is limited to
# PUBLIC_LOOKUP_RATE (a fixed window; `client_address`), the lookup is counted, and a lookup
# by number reads its cached answer. On Redis each web process does the three in its own
# memory (`_local_gate`, certificates/local_gate.py: counts merged into Redis ten times a
# second, answers copied from Redis and forgotten on a publish); while that gate is not
# subscribed, they are one round trip (one Lua script), which is most of what a cached lookup
# then costs. While Redis is down lookups are allowed, not counted and
# answered from the database (fail open, as RATELIMIT_FAIL_OPEN; tests/test_faults.py).
#
# The answers of a number live in one entry (a Redis hash; a dict elsewhere) with a field per
# variant and language: the API's JSON (`json-`; its status label is translated), the record
# (`html-`, for signed-in visitors, whose page around it is their own), and the recorded
# responses the fast path replays to anonymous visitors (`page-`, the whole page: the layout
# carries no CSRF token and no user, so it is the same for everyone; `api-`, the JSON with its
# headers; certificates/middleware.py). Correctness comes from
# invalidation, never from expiry: every write that can change what the public sees — a
# certificate saved or updated (status, version, edition, dates, holder), its holder or
# institution renamed, a row deleted — forgets the number's entry, in the transaction and
# again after commit (`answers_forget_on_commit`), so a status change shows at once. The TTL
# only bounds the memory of answers nobody asks for.

ANSWER_KEY = "lookup:answer:v2:{number}"
ANSWER_TTL = 6 * 3600
LIMIT_KEY = "lookup:limit:{scope}:{address}:{window}"
# Certificate fields the public answer does not show: updating only these forgets nothing.
PRIVATE_FIELDS = frozenset(
    {"pdf", "pdf_version", "reevaluation_opened_notified", "reevaluation_closing_notified"}
)
_CHUNK = 2000


def lookup_rate() -> tuple[int, int]:
    """PUBLIC_LOOKUP_RATE ("120/m") as (requests, seconds), read per request (tests change it)."""
    return _split_rate(settings.PUBLIC_LOOKUP_RATE)


@functools.lru_cache(maxsize=8)
def _split_rate(rate: str) -> tuple[int, int]:
    from django_ratelimit.core import _split_rate

    return _split_rate(rate)


def client_address(request) -> str:
    """The address a limit counts: RATELIMIT_IP_META_KEY (the header a trusted proxy sets; of a
    list, the last entry, the one that proxy appended; REMOTE_ADDR when a request comes without
    it), an IPv6 address by its /64 network as django-ratelimit does (one subscriber holds a
    whole /64), an IPv4 address written as IPv6 (`::ffff:a.b.c.d`) as itself. An address that
    does not parse counts with every other such one."""
    meta = request.META
    raw = meta.get(settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR") or meta.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw.rpartition(",")[2].strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return f"{int(address) >> 64:x}/64"
    return str(address)


def _redis():
    """The default cache when it is the portal's Redis cache (`ResilientRedisCache`, which the
    settings use whenever REDIS_URL is set), else None: then the generic cache calls serve.
    Its raw client runs the gate's script, and its `_guard` turns an outage into a fallback."""
    from django.core.cache import caches

    from ietsportal.cache import ResilientRedisCache

    backend = caches["default"]  # `cache` is a proxy: isinstance needs the backend itself
    return backend if isinstance(backend, ResilientRedisCache) else None


def _client(backend):
    return backend._cache.get_client(None, write=True)


FORGET_CHANNEL = "lookup:forget"


def _local_gate(backend):
    """This process's in-memory gate (certificates/local_gate.py), or None when
    PUBLIC_LOOKUP_LOCAL is off."""
    if not settings.PUBLIC_LOOKUP_LOCAL:
        return None
    from .local_gate import local_gate

    def options():  # read when this process makes its gate, not on every lookup
        return {
            "channel": backend.make_key(FORGET_CHANNEL),
            "flush_seconds": settings.PUBLIC_LOOKUP_LOCAL_FLUSH_SECONDS,
            "max_bytes": settings.PUBLIC_LOOKUP_LOCAL_MB * 2**20,
            "max_age": ANSWER_TTL,
        }

    return local_gate(_client(backend), options)


def local_gates():
    """The in-memory gates this process has started (none outside the web processes)."""
    from .local_gate import existing_gates

    return existing_gates()


def local_counts_merge() -> None:
    """Merge this process's counts since its gates' last merge into Redis now."""
    from ietsportal.cache import _redis_errors

    for gate in local_gates():
        try:
            gate.flush()
        except _redis_errors():
            pass  # lost, as the round-trip gate loses them while Redis is down


def answer_key(number: str) -> str:
    return ANSWER_KEY.format(number=number)


# What a cached answer was made with. A deploy that changes any of it (a template of the page,
# the API's serializer, a translation, a static file's hashed name) reads and writes other
# fields of the entry, so no visitor gets a page of the previous release; the old fields go
# with the entry's TTL.
BUILD_SOURCES = (
    "templates/base.html",
    "templates/components/state_badge.html",
    "certificates/templates/certificates/verify_detail.html",
    "certificates/templates/certificates/_verify_record.html",
    "certificates/api/serializers.py",
    "certificates/lookups.py",
    "locale/zh_Hans/LC_MESSAGES/django.mo",
    "locale/en/LC_MESSAGES/django.mo",
)


@functools.cache
def answers_build() -> str:
    import hashlib

    from django.contrib.staticfiles.storage import staticfiles_storage

    digest = hashlib.sha256()
    for name in BUILD_SOURCES:
        digest.update((settings.BASE_DIR / name).read_bytes())
    digest.update(str(getattr(staticfiles_storage, "manifest_hash", "")).encode())
    return digest.hexdigest()[:12]


def answer_field(variant: str) -> str:
    return f"{variant}@{answers_build()}"


def lookup_gate(
    request, *, scope: str, channel: str | None = None, number: str = "", variant: str = ""
) -> tuple[bool, bytes | None]:
    """Limit the client address in `scope`, count a lookup in `channel` (if given) and, with a
    `number`, read its cached answer `variant`. Returns (allowed, answer or None).

    A request the fast path (certificates/middleware.py) already passed through the gate is not
    limited or counted again: its verdict is returned, with no answer."""
    raw = getattr(request, "_request", request)  # DRF's Request wraps Django's
    gated = raw.__dict__.pop(GATED, None)
    if gated is not None and scope == "lookup" and gated[1] == number:
        return gated[0], None
    limit, period = lookup_rate()
    window = int(time.time() // period)
    limit_key = LIMIT_KEY.format(scope=scope, address=client_address(request), window=window)
    count_key = KEY.format(day=timezone.localdate().isoformat(), channel=channel)
    backend = _redis()
    if backend is None:
        return _gate_elsewhere(limit_key, limit, period, channel, number, variant)
    make_key = backend.make_key
    local = _local_gate(backend)
    if local is not None:
        field = answer_field(variant) if number else ""
        decided = local.gate(
            window=window,
            limit_key=make_key(limit_key),
            limit=limit,
            limit_ttl=period + 5,
            count_key=make_key(count_key) if channel else None,
            count_ttl=TTL,
            number=number,
            field=field,
        )
        if decided is not None:
            allowed, answer, forgets = decided
            if not allowed or answer is not None or not number:
                return allowed, answer
            answer = backend._guard(
                "lookup", None, _client(backend).hget, make_key(answer_key(number)), field
            )
            if answer is not None:
                local.store(number, field, answer, forgets)
            return True, answer
    replies = backend._guard(
        "lookup",
        None,  # Redis down: allowed, not counted, answered from the database
        _gate_script(_client(backend)),
        keys=[make_key(limit_key), make_key(count_key), make_key(answer_key(number))],
        args=[period + 5, 1 if channel else 0, TTL, answer_field(variant) if number else ""],
    )
    if replies is None:
        return True, None
    used, answer = replies
    return used <= limit, answer


# One command instead of five: Redis runs the limit's INCR (and EXPIRE on the first), the
# count's, and the HGET of the answer; the client packs one command and parses one reply.
GATE_LUA = """
local used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if ARGV[2] == '1' and redis.call('INCR', KEYS[2]) == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
local answer = false
if ARGV[4] ~= '' then answer = redis.call('HGET', KEYS[3], ARGV[4]) end
return {used, answer}
"""
_scripts = {}


def _gate_script(client):
    script = _scripts.get(id(client.connection_pool))
    if script is None:
        script = _scripts[id(client.connection_pool)] = client.register_script(GATE_LUA)
    return script


def _gate_elsewhere(limit_key, limit, period, channel, number, variant):
    """`lookup_gate` on a cache other than Redis (the embedded default): the same answers, in
    several calls."""
    used = 1
    if not cache.add(limit_key, 1, period + 5):
        try:
            used = cache.incr(limit_key)
        except ValueError:  # expired between add and incr
            cache.add(limit_key, 1, period + 5)
    if channel:
        lookup_count(channel)
    answer = (cache.get(answer_key(number)) or {}).get(answer_field(variant)) if number else None
    return used <= limit, answer


def anonymous_without_messages(request) -> bool:
    """No session and no flash message: the page around a public answer is the same for every
    such visitor (templates/base.html shows no CSRF token and no user to them)."""
    from django.contrib.messages.storage.cookie import CookieStorage

    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


# The attribute by which the fast path hands its gate's verdict to the view: (allowed, number).
GATED = "public_answer_gated"


def answer_recording(response) -> bytes:
    """A response as the fast path replays it: its headers as the inner layers left them (one
    line of JSON, in which a newline is escaped), a newline, its body."""
    head = json.dumps(list(response.headers.items()), ensure_ascii=False).encode()
    return head + b"\n" + response.content


def answer_replay(recorded: bytes) -> HttpResponse:
    head, _, body = recorded.partition(b"\n")
    response = HttpResponse(body)
    del response["Content-Type"]
    for name, value in json.loads(head):
        response[name] = value
    return response


def answer_store(number: str, variant: str, body: bytes) -> None:
    key, field = answer_key(number), answer_field(variant)
    backend = _redis()
    if backend is None:
        cache.set(key, {**(cache.get(key) or {}), field: body}, ANSWER_TTL)
        return
    key = backend.make_key(key)
    pipe = _client(backend).pipeline(transaction=False)
    pipe.hset(key, field, body)
    pipe.expire(key, ANSWER_TTL)
    backend._guard("answer_store", None, pipe.execute)  # dropped while Redis is down


def answers_forget(numbers) -> int:
    """Forget every cached answer of these certificate numbers (one key each); returns the
    number of keys named."""
    numbers = list(numbers)
    backend = _redis()
    if backend is not None:
        for gate in local_gates():
            gate.forget(numbers)
        channel = backend.make_key(FORGET_CHANNEL)
    for i in range(0, len(numbers), _CHUNK):
        chunk = numbers[i : i + _CHUNK]
        if backend is None:
            cache.delete_many([answer_key(n) for n in chunk])
        else:
            # the backend's make_key, not the `cache` proxy's (a thread-local lookup per
            # attribute); answer_key() builds short ASCII keys: no need to validate each one.
            # Unguarded: a change whose answers cannot be forgotten must not commit. The
            # publish makes every process's local gate forget them too (local_gate.py).
            pipe = _client(backend).pipeline(transaction=False)
            pipe.delete(*[backend.make_key(answer_key(n)) for n in chunk])
            pipe.publish(channel, " ".join(chunk))
            pipe.execute()
    return len(numbers)


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
