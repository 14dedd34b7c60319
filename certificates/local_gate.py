"""The lookup gate inside each process (issue #8): public lookups answered with no round trip.

`lookups.lookup_gate` limits the client address, counts the lookup and reads the cached
answer. On Redis that is one round trip, and on a 2-core machine that round trip alone puts a
lookup's p99 above 1.5× a trivial view's. With PUBLIC_LOOKUP_LOCAL (the default) every web
process keeps one `LocalGate` beside its Redis client, which does the three in memory:

* **Limit and count** are added up in the process and merged into Redis every
  PUBLIC_LOOKUP_LOCAL_FLUSH_SECONDS by one script (`MERGE_LUA`: INCRBY, EXPIRE on a key's
  first use, as the round-trip gate does). The merge returns each address's total over all
  processes; an address is then limited on that total plus what this process let through since.
  So one process limits exactly, and several let a client exceed the limit by at most what the
  others let through between two merges. Addresses seen once are kept apart, at most
  `ONCE_KEPT` a window (when every request comes from another address, memory stays bounded:
  past that many, they are forgotten, which lets each of them one request more at most).
* **Answers** (the recorded responses of `lookups.answer_store`) are kept by number, at most
  PUBLIC_LOOKUP_LOCAL_MB, the least recently used forgotten first, none kept longer than its
  Redis entry may live (`lookups.ANSWER_TTL`). A process copies an answer
  from Redis the first time it reads it there. `lookups.answers_forget`, which every write that
  changes a public answer calls, forgets the numbers in this process, deletes them in Redis and
  publishes them on one channel; every process's listener forgets them in its own memory.

What keeps a local answer correct:

* A forget counts as an event (`_forgets`). A reader notes the count before it reads Redis and
  stores what it read only if no forget came in meanwhile: an answer read before a change
  cannot be stored after the change was forgotten (the one race of an in-process copy).
* Local answers are used only while the listener is subscribed. When its connection fails, or
  before it has subscribed, the gate is not used (the round-trip gate serves; a Redis outage
  then fails open as before); on every new subscription the local answers are dropped, since
  forgets published meanwhile were missed. The connection is checked every
  `HEALTH_CHECK_SECONDS`, so a connection that dies without a word is noticed within that.
* A forget that cannot reach Redis raises (`answers_forget` is unguarded): the change does not
  commit, so no process can hold an answer of a change that happened.

A status change therefore shows at once in the process that made it and, in every other one,
as soon as Redis delivers the publish (well under a millisecond on one machine).
"""

import logging
import os
import threading
import time
from collections import OrderedDict

logger = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 2
ONCE_KEPT = 100_000
RETRY_SECONDS = 1.0
_now = time.monotonic  # the clock of the answers' age (tests move it)

# KEYS: the limit keys, then the count keys. ARGV[1]: how many limit keys; then, per key, the
# increment and the key's TTL. Returns each limit key's total.
MERGE_LUA = """
local limits = tonumber(ARGV[1])
local totals = {}
for i, key in ipairs(KEYS) do
  local by = tonumber(ARGV[2 * i])
  local total = redis.call('INCRBY', key, by)
  if total == by then redis.call('EXPIRE', key, ARGV[2 * i + 1]) end
  if i <= limits then totals[i] = total end
end
return totals
"""


class LocalGate:
    """One per process and Redis connection pool (`lookups._local_gate`); thread-safe."""

    def __init__(
        self, client, *, channel: str, flush_seconds: float, max_bytes: int, max_age: float
    ):
        self._client = client
        self._max_age = max_age
        self.channel = channel
        self._flush_seconds = flush_seconds
        self._max_bytes = max_bytes
        self._merge = client.register_script(MERGE_LUA)
        self._lock = threading.Lock()
        self._merging = threading.Lock()
        self._listening = False
        self._forgets = 0
        self._answers = OrderedDict()  # number -> {field: recorded answer}
        self._born = {}  # number -> when its entry was made (time.monotonic)
        self._bytes = 0
        self._window = None  # the limit window `_known` belongs to
        self._known = {}  # limit key -> its total over every process at the last merge
        self._once = set()  # limit keys whose total was 1 at the last merge
        self._limits = {}  # limit key -> [requests since the last merge, TTL]
        self._counts = {}  # count key -> [lookups since the last merge, TTL]
        self._stop = threading.Event()
        self.subscribed = threading.Event()  # set on each (re)subscription; tests wait on it
        self.subscriptions = 0  # how many there have been
        self._thread = threading.Thread(target=self._run, name="lookup-gate", daemon=True)
        self._thread.start()

    # ---- the request's side

    def gate(self, *, window, limit_key, limit, limit_ttl, count_key, count_ttl, number, field):
        """(allowed, local answer or None, forgets seen) — or None while not listening: then
        the caller takes the round trip, and nothing is counted here."""
        with self._lock:
            if not self._listening:
                return None
            if window != self._window:
                self._window, self._known, self._once = window, {}, set()
            allowed = self._seen(limit_key) + _add(self._limits, limit_key, limit_ttl) <= limit
            if count_key:
                _add(self._counts, count_key, count_ttl)
            answer = None
            if allowed and number:
                entry = self._answers.get(number)
                if entry is not None and _now() - self._born[number] > self._max_age:
                    self._evict(number)  # as old as the Redis entry may live: read it again
                elif entry is not None:
                    answer = entry.get(field)
                    if answer is not None:
                        self._answers.move_to_end(number)
            return allowed, answer, self._forgets

    def _seen(self, limit_key) -> int:
        """The key's total over every process at the last merge (under the lock)."""
        return self._known.get(limit_key) or (1 if limit_key in self._once else 0)

    def store(self, number: str, field: str, answer: bytes, forgets: int) -> bool:
        """Keep an answer read from Redis when no forget came in since the reader noted
        `forgets` (and the listener is subscribed). Returns whether it was kept."""
        with self._lock:
            if not self._listening or forgets != self._forgets:
                return False
            entry = self._answers.pop(number, None)
            if entry is None:
                entry, self._born[number] = {}, _now()
            previous = entry.get(field)
            if previous is not None:
                self._bytes -= len(previous)
            entry[field] = answer
            self._bytes += len(answer)
            self._answers[number] = entry
            while self._bytes > self._max_bytes and self._answers:
                self._evict(next(iter(self._answers)))
            return True

    def forget(self, numbers) -> None:
        with self._lock:
            self._forgets += 1
            for number in numbers:
                self._evict(number)

    def _evict(self, number) -> None:
        entry = self._answers.pop(number, None)
        if entry is not None:
            del self._born[number]
            self._bytes -= sum(map(len, entry.values()))

    def reset(self) -> None:
        """Drop every answer, count and total (tests/conftest.py, after clearing the cache)."""
        with self._lock:
            self._drop_answers()
            self._limits, self._counts, self._known, self._window = {}, {}, {}, None
            self._once = set()

    def size(self) -> tuple[int, int]:
        """(numbers, bytes) held."""
        with self._lock:
            return len(self._answers), self._bytes

    # ---- merging the counts into Redis

    def flush(self) -> None:
        """Merge the counts since the last merge into Redis; raises what Redis raises (the
        counts of that merge are then lost to Redis, as the round-trip gate loses them while
        Redis is down; this process still holds them against the client)."""
        with self._merging:  # one merge at a time (the listener's and lookup_counts_persist's)
            with self._lock:
                limits, self._limits = self._limits, {}
                counts, self._counts = self._counts, {}
                known, once = self._known, self._once
                for key, (by, _ttl) in limits.items():  # they still count while the merge runs
                    known[key] = self._seen(key) + by
            if not limits and not counts:
                return
            keys, args = [*limits, *counts], [len(limits)]
            for by, ttl in (*limits.values(), *counts.values()):
                args += (by, ttl)
            totals = self._merge(keys=keys, args=args)
            with self._lock:
                if known is not self._known:
                    return  # a new window began meanwhile (or a reset): these totals are old
                for key, total in zip(limits, totals, strict=True):
                    if total > 1:
                        known[key] = total
                        once.discard(key)
                    else:
                        known.pop(key, None)
                        once.add(key)
                if len(once) > ONCE_KEPT:
                    once.clear()

    # ---- the listener

    def _run(self) -> None:
        from redis.exceptions import RedisError

        warned = False
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._listener_client().pubsub()
                pubsub.subscribe(self.channel)
                next_merge = time.monotonic() + self._flush_seconds
                while not self._stop.is_set():
                    wait = min(0.5, max(0.0, next_merge - time.monotonic()))  # see _stop
                    message = pubsub.get_message(timeout=wait)
                    if message is not None:
                        self._received(message)
                    if time.monotonic() >= next_merge:
                        self.flush()
                        next_merge = time.monotonic() + self._flush_seconds
            except (RedisError, OSError) as error:
                if self._deaf():
                    try:  # what the round trip, which serves meanwhile, should count with
                        self.flush()
                    except (RedisError, OSError):
                        pass
                    warned = False
                if not warned:  # once per outage, not once per retry
                    logger.warning(
                        "lookup gate: Redis unreachable (%s); lookups take the round trip", error
                    )
                    warned = True
                self._stop.wait(RETRY_SECONDS)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except (RedisError, OSError):
                        pass
        self._deaf()

    def _listener_client(self):
        """A client of its own for the subscription, whose connection checks its health."""
        import redis

        pool = self._client.connection_pool
        kwargs = {**pool.connection_kwargs, "health_check_interval": HEALTH_CHECK_SECONDS}
        return redis.Redis(
            connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
        )

    def _received(self, message) -> None:
        kind = message["type"]
        if kind == "subscribe":
            with self._lock:
                self._drop_answers()  # forgets published while we were not subscribed
                self._listening = True
                self.subscriptions += 1
            self.subscribed.set()
        elif kind == "message":
            self.forget(message["data"].decode().split())

    def _deaf(self) -> bool:
        """Stop answering from memory; returns whether the gate was listening."""
        with self._lock:
            was, self._listening = self._listening, False
            self._drop_answers()
        self.subscribed.clear()
        return was

    def _drop_answers(self) -> None:
        self._answers.clear()
        self._born.clear()
        self._bytes = 0
        self._forgets += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _add(pending: dict, key, ttl) -> int:
    """One more request or lookup of `key` since the last merge; returns how many."""
    entry = pending.get(key)
    if entry is None:
        entry = pending[key] = [0, ttl]
    entry[0] += 1
    return entry[0]


_gates: dict = {}
_gates_lock = threading.Lock()


def local_gate(client, options) -> LocalGate:
    """This process's gate for `client`'s connection pool, made with `options()` the first
    time (a forked worker starts its own: the thread of the parent does not survive the
    fork)."""
    key = (os.getpid(), id(client.connection_pool))
    gate = _gates.get(key)
    if gate is None:
        with _gates_lock:
            gate = _gates.get(key)
            if gate is None:
                gate = _gates[key] = LocalGate(client, **options())
    return gate


def existing_gates() -> list[LocalGate]:
    pid = os.getpid()
    return [gate for (owner, _), gate in list(_gates.items()) if owner == pid]
