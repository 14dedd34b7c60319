"""ietsportal/cache.py: with Redis unreachable, the cache answers like an empty one instead of
raising, and a rate-limited page stays open (the slow proof with a real outage is in
tests/test_faults.py)."""

import socket

import pytest
from django.test import override_settings

from ietsportal.cache import ResilientRedisCache


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def down():
    return ResilientRedisCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )


def test_cache_with_redis_down_reads_miss_and_writes_drop(down):
    assert down.get("k", "default") == "default"
    assert down.get_many(["a", "b"]) == {}
    assert down.has_key("k") is False
    assert down.add("k", 1, 60) is False
    assert down.set("k", 1, 60) is None
    assert down.set_many({"a": 1}) == ["a"]
    assert down.touch("k") is False
    assert down.delete("k") is False
    assert down.delete_many(["a"]) is None
    assert down.clear() is False
    with pytest.raises(ValueError):
        down.incr("k")  # Django's contract for a missing key; callers handle it


@pytest.mark.django_db
def test_rate_limited_lookup_stays_open_with_redis_down(client):
    port = closed_port()
    caches = {
        "default": {
            "BACKEND": "ietsportal.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=caches, RATELIMIT_FAIL_OPEN=True):
        codes = [client.get("/verify/?q=北京").status_code for _ in range(3)]
        api = client.get("/api/v1/public/certificates/?q=北京").status_code
    assert (codes, api) == ([200, 200, 200], 200)


@pytest.mark.django_db
def test_a_lookup_by_number_is_answered_from_the_database_with_redis_down(client, world):
    from tests.certificates.test_certificate_page import certificate_of

    number = certificate_of(world).number
    with override_settings(CACHES=down_caches(), RATELIMIT_FAIL_OPEN=True):
        page = client.get(f"/verify/{number}/")
        api = client.get(f"/api/v1/public/certificates/{number}/")
    assert (page.status_code, api.status_code, api.json()["number"]) == (200, 200, number)
    assert number in page.content.decode()


@pytest.mark.django_db
def test_cache_health_answers_whether_the_cache_reads(client):
    response = client.get("/healthz/cache/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    with override_settings(CACHES=down_caches()):
        response = client.get("/healthz/cache/")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


def down_caches():
    return {
        "default": {
            "BACKEND": "ietsportal.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
