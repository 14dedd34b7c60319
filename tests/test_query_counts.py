"""The query count of every list page and list endpoint is the same for 1 item and for 5
(STYLE.md "Tests": no N+1). One world is built once; every list is measured with one item of
each kind, then again after four more were added."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S

from .conftest import T0

# name: (who, url, api); who is a key of `people()` or None for the public.
LISTS = {
    "workspace applicant": ("applicant", "/workspace/", False),
    "workspace institution admin": ("inst_admin", "/workspace/", False),
    "workspace assessor": ("assessor", "/workspace/", False),
    "workspace expert": ("expert", "/workspace/", False),
    "workspace center": ("center", "/workspace/", False),
    "publicity": (None, "/publicity/", False),
    "verify": (None, "/verify/?q=北京甲", False),
    "notifications applicant": ("applicant", "/notifications/", False),
    "notifications center": ("center", "/notifications/", False),
    "api applications applicant": ("applicant", "/api/v1/applications/", True),
    "api applications institution admin": ("inst_admin", "/api/v1/applications/", True),
    "api applications expert": ("expert", "/api/v1/applications/", True),
    "api applications center": ("center", "/api/v1/applications/", True),
    "api public publicity": (None, "/api/v1/public/publicity/", True),
    "api public certificates": (None, "/api/v1/public/certificates/?q=北京甲", True),
    "api certificates applicant": ("applicant", "/api/v1/certificates/", True),
    "api certificates institution admin": ("inst_admin", "/api/v1/certificates/", True),
    "api certificates center": ("center", "/api/v1/certificates/", True),
}


def people(world):
    return {
        "applicant": world.applicant,
        "inst_admin": world.inst_admin,
        "assessor": world.assessors[0],
        "expert": world.experts[0],
        "center": world.center,
    }


def add_unit(flow, i):
    """One issued application (with its certificate) and one in publicity, of the applicant.

    The publicity ones open a year later, so that issuing the next units leaves them alone."""
    flow.to(flow.draft(now=T0 + timedelta(days=10 * i)), S.ISSUED, now=T0 + timedelta(days=10 * i))
    start = T0 + timedelta(days=365 + i)
    flow.to(flow.draft(now=start), S.PUBLICITY, now=start)


def client_for(user, api):
    client = APIClient()
    if user is not None and api:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    elif user is not None:
        client.force_login(user)
    return client


def items_in(response, api) -> int:
    assert response.status_code == 200, response.content[:300]
    if api:
        return response.data["count"]
    return response.context["paginator"].count


def measure(clients) -> tuple[dict, dict]:
    queries, items = {}, {}
    for name, (_who, url, api) in LISTS.items():
        client = clients[name]
        client.get(url)  # warm the per-process caches (content types, permissions)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        queries[name], items[name] = len(ctx.captured_queries), items_in(response, api)
    return queries, items


def test_lists_query_count_is_the_same_for_one_and_five_items(world, flow):
    users = people(world)
    clients = {name: client_for(users.get(who), api) for name, (who, _, api) in LISTS.items()}
    add_unit(flow, 1)
    queries_1, items_1 = measure(clients)
    for i in range(2, 6):
        add_unit(flow, i)
    queries_5, items_5 = measure(clients)

    apps, certs = {"1": 2, "5": 10}, {"1": 1, "5": 5}
    for label, items in (("1", items_1), ("5", items_5)):
        a, c = apps[label], certs[label]
        notes = items.pop("notifications applicant"), items.pop("notifications center")
        assert notes[0] > 0 and notes[1] > 0
        assert items == {
            "workspace applicant": a,
            "workspace institution admin": a,
            "workspace assessor": a,
            "workspace expert": a,
            "workspace center": a,
            "publicity": c,
            "verify": c,
            "api applications applicant": a,
            "api applications institution admin": a,
            "api applications expert": a,
            "api applications center": a,
            "api public publicity": c,
            "api public certificates": c,
            "api certificates applicant": c,
            "api certificates institution admin": c,
            "api certificates center": c,
        }
    assert queries_5 == queries_1
