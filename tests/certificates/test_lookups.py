from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates.lookups import lookup_counts_persist
from certificates.models import Certificate, LookupCount


@pytest.fixture
def certificate(flow):
    return Certificate.objects.get(application=flow.to(flow.draft(), S.ISSUED))


def test_public_lookup_page_answers_429_past_the_rate(client, settings, certificate):
    settings.PUBLIC_LOOKUP_RATE = "3/m"
    codes = [client.get("/verify/", {"q": certificate.number}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get(f"/verify/{certificate.number}/")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many requests" in response.content.decode() or "请求过于频繁" in (
        response.content.decode()
    )


def test_public_lookup_api_answers_429_past_the_rate(settings, certificate):
    settings.PUBLIC_LOOKUP_RATE = "2/m"
    api = APIClient()
    url = f"/api/v1/public/certificates/{certificate.number}/"
    assert [api.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_lookups_are_counted_per_channel_and_persisted_idempotently(client, certificate):
    client.get("/verify/", {"q": certificate.number})
    client.get("/verify/", {"q": "北京"})
    client.get("/verify/")  # an empty search is no lookup
    client.get(f"/verify/{certificate.number}/")
    client.get(f"/verify/{certificate.number}/", {"t": "x.y.z"})
    APIClient().get("/api/v1/public/certificates/", {"q": certificate.number})
    APIClient().get(f"/api/v1/public/certificates/{certificate.number}/verify/", {"t": "x.y.z"})
    from django.utils import timezone

    now = timezone.now()
    assert lookup_counts_persist(now=now) == 3
    assert lookup_counts_persist(now=now) == 3  # absolute values: running twice changes nothing
    today = timezone.localdate(now)
    assert dict(LookupCount.objects.filter(day=today).values_list("channel", "count")) == {
        "html": 3,
        "qr": 2,
        "api": 1,
    }


def test_persisting_with_no_lookups_writes_nothing(db):
    assert lookup_counts_persist(now=datetime(2026, 3, 1, tzinfo=UTC)) == 0
    assert LookupCount.objects.count() == 0


@pytest.mark.parametrize(
    ("meta_key", "meta", "address"),
    [
        (None, {"REMOTE_ADDR": "192.0.2.7"}, "192.0.2.7"),
        (None, {"REMOTE_ADDR": "::ffff:192.0.2.7"}, "192.0.2.7"),
        (None, {"REMOTE_ADDR": "2001:db8:1:2:3:4:5:6"}, "20010db800010002/64"),
        (None, {"REMOTE_ADDR": "2001:db8:1:2::9"}, "20010db800010002/64"),
        ("HTTP_X_FORWARDED_FOR", {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 192.0.2.7"}, "192.0.2.7"),
        ("HTTP_X_FORWARDED_FOR", {"REMOTE_ADDR": "192.0.2.8"}, "192.0.2.8"),
        ("HTTP_X_FORWARDED_FOR", {"HTTP_X_FORWARDED_FOR": "not an address"}, "unknown"),
    ],
)
def test_the_limit_counts_the_client_address(settings, rf, meta_key, meta, address):
    from certificates.lookups import client_address

    settings.RATELIMIT_IP_META_KEY = meta_key
    request = rf.get("/verify/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    assert client_address(request) == address
