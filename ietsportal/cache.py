"""A Redis cache that keeps the web serving while Redis is down (issue 9, tests/test_faults.py).

The cache holds only what can be lost: rate-limit counters, the public lookup counters and
the cached lookup answers (sessions, login throttling and everything else live in the
database). So when Redis does not answer, a read is a miss and a write is dropped, with one
warning a minute in the log, instead of a 500 on every page that counts a lookup. Rate limits
fail open meanwhile (RATELIMIT_FAIL_OPEN; certificates/lookups.py `lookup_gate` allows and
answers from the database), and the counts of that period are lost. Timeouts are short
(settings), so a request waits at most about a second for Redis.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)
_MISSING = object()


def _redis_errors():
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError)


class ClientPerPool(RedisCacheClient):
    """Django builds a new `redis.Redis` for every cache operation, and its constructor fills a
    table of ~170 reply callbacks: about 100 µs, as much as the round trip to Redis on
    loopback (issue #8). One client per connection pool serves every thread: a client takes a
    connection from its pool for each command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    _last_warning = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ClientPerPool

    def _down(self, operation: str, fallback):
        now = time.monotonic()
        if now - ResilientRedisCache._last_warning > 60:
            ResilientRedisCache._last_warning = now
            logger.warning("cache unavailable (%s); serving without it", operation)
        return fallback

    def _guard(self, operation: str, fallback, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except _redis_errors():
            if fallback is ValueError:
                self._down(operation, None)
                raise ValueError("cache unavailable") from None
            return self._down(operation, fallback)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def add(self, key, value, timeout=_MISSING, version=None):
        args = (key, value) if timeout is _MISSING else (key, value, timeout)
        return self._guard("add", False, super().add, *args, version=version)

    def set(self, key, value, timeout=_MISSING, version=None):
        args = (key, value) if timeout is _MISSING else (key, value, timeout)
        return self._guard("set", None, super().set, *args, version=version)

    def set_many(self, data, timeout=_MISSING, version=None):
        args = (data,) if timeout is _MISSING else (data, timeout)
        return self._guard("set_many", list(data), super().set_many, *args, version=version)

    def touch(self, key, timeout=_MISSING, version=None):
        args = (key,) if timeout is _MISSING else (key, timeout)
        return self._guard("touch", False, super().touch, *args, version=version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        # Django's contract: ValueError when the key is missing; callers already handle it.
        return self._guard("incr", ValueError, super().incr, key, delta, version)

    def clear(self):
        return self._guard("clear", False, super().clear)
