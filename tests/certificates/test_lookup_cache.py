"""Issue #8: the public answer for a certificate number is cached (no database query on a hit)
and forgotten on every change of what it shows, so a status change shows at once — through a
transition (`save`), a set-based job (`QuerySet.update`), a new version and a holder renamed."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from rest_framework.test import APIClient

from certificates.enums import CertificateStatus as C
from certificates.lookups import answer_key
from certificates.services import (
    certificate_request_decide,
    certificate_suspend,
    certificates_expire_due,
)
from tests.certificates.test_certificate_page import certificate_of
from tests.certificates.test_requests import verified


def html(client, certificate):
    response = client.get(f"/verify/{certificate.number}/")
    assert response.status_code == 200
    return response.content.decode()


def api(certificate):
    response = APIClient().get(f"/api/v1/public/certificates/{certificate.number}/")
    assert response.status_code == 200
    return response.json()


def test_a_repeated_lookup_is_answered_from_the_cache_without_a_query(
    world, client, django_assert_num_queries
):
    certificate = certificate_of(world)
    first_page, first_json = html(client, certificate), api(certificate)

    with django_assert_num_queries(0):
        assert html(client, certificate) == first_page
        assert api(certificate) == first_json
    assert first_json["status"] == "valid"
    assert certificate.organization.name in first_page


def _suspend(world, certificate):
    certificate_suspend(
        number=certificate.number, actor=world.center, reason="核查中。", now=timezone.now()
    )
    return "suspended"


def _expire(world, certificate):
    certificates_expire_due(now=timezone.now() + relativedelta(years=3))
    return "expired"


@pytest.mark.parametrize("change", [_suspend, _expire], ids=["transition", "set-based job"])
def test_a_status_change_shows_at_once(world, client, change, django_capture_on_commit_callbacks):
    certificate = certificate_of(world)
    assert api(certificate)["status"] == "valid"
    assert "verdict-valid" in html(client, certificate)

    with django_capture_on_commit_callbacks(execute=True):
        status = change(world, certificate)

    assert api(certificate)["status"] == status
    assert f"verdict-{status}" in html(client, certificate)


def test_a_new_version_under_a_new_name_shows_at_once(
    world, client, django_capture_on_commit_callbacks
):
    certificate = certificate_of(world)
    request = verified(world, certificate, new_name="北京甲新名称科技有限公司")
    assert api(certificate)["version"] == 1
    html(client, certificate)

    with django_capture_on_commit_callbacks(execute=True):
        certificate_request_decide(
            request_id=request.pk,
            actor=world.center,
            approve=True,
            note="同意换发。",
            now=timezone.now() + timedelta(minutes=1),
        )

    answer = api(certificate)
    assert (answer["version"], answer["organization_name"]) == (2, "北京甲新名称科技有限公司")
    assert "北京甲新名称科技有限公司" in html(client, certificate)


def test_a_holder_renamed_outside_a_request_shows_at_once(
    world, client, django_capture_on_commit_callbacks
):
    certificate = certificate_of(world)
    api(certificate)
    with django_capture_on_commit_callbacks(execute=True):
        certificate.organization.name = "北京改名科技有限公司"
        certificate.organization.save(update_fields=["name"])
    assert api(certificate)["organization_name"] == "北京改名科技有限公司"


def test_an_update_of_private_fields_only_keeps_the_answer(world, django_assert_num_queries):
    from certificates.models import Certificate

    certificate = certificate_of(world)
    assert answer_key(certificate.number) == f"lookup:answer:v2:{certificate.number}"
    api(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(pdf_version=1)
    with django_assert_num_queries(0):
        assert api(certificate)["status"] == C.VALID
    Certificate.objects.filter(pk=certificate.pk).update(status=C.SUSPENDED)
    assert api(certificate)["status"] == C.SUSPENDED


def test_the_lookup_indexes_are_present(world):
    """Issue #8: the number's unique index, and a constraint that numbers are upper-case
    letters, digits and hyphens (a lookup in any case looks its upper case up by that index;
    the jobs write a number into a link as it is); pg_trgm's GIN index on the
    holders' names on PostgreSQL (migration certificates/0006)."""
    from django.db import IntegrityError, connection, transaction

    from certificates.models import Certificate

    with connection.cursor() as cursor:
        certificate = connection.introspection.get_constraints(cursor, "certificates_certificate")
        organization = connection.introspection.get_constraints(cursor, "accounts_organization")
    assert certificate["certificate_number_unique"]["columns"] == ["number"]
    assert "certificate_number_format" in certificate
    if connection.vendor == "postgresql":
        assert organization["accounts_organization_name_trgm"]["type"] == "gin"
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN SELECT id FROM certificates_certificate WHERE number = %s", ["IETS-1"]
            )
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "certificate_number_unique" in plan
    certificate = certificate_of(world)
    for number in ["iets-2026-000001", "IETS 2026/1", "IETS-2026-000001?", "证书-1"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Certificate.objects.filter(pk=certificate.pk).update(number=number)


def test_the_jobs_write_no_index_nothing_reads(db):
    """Issue #8: every index is maintained by every expiry, revocation and audit entry. The
    number is unique by one index (no LIKE twin), the holder's own index is the composite
    (organization, status), and nothing looks an audit entry up by its hash."""
    from django.db import connection

    with connection.cursor() as cursor:
        certificate = connection.introspection.get_constraints(cursor, "certificates_certificate")
        audit = connection.introspection.get_constraints(cursor, "audit_auditentry")
    by_columns = sorted(
        (",".join(col for col in c["columns"] if col) or "(expression)", c["unique"])
        for c in certificate.values()
        if (c["index"] or c["unique"]) and not c["primary_key"]
    )
    assert by_columns == [
        ("application_id", True),
        ("id,issued_on", False),
        ("institution_id", False),
        ("number", True),
        ("organization_id,status", False),
        ("status,expires_on", False),
    ], by_columns
    assert [c for c in audit.values() if "hash" in (c["columns"] or [])] == []


def index_columns(table) -> list[tuple[str, bool]]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return sorted(
        (",".join(col for col in c["columns"] if col), c["unique"])
        for c in found.values()
        if (c["index"] or c["unique"]) and not c["primary_key"]
    )


def index_definitions(where: str, params) -> dict[str, str]:
    """PostgreSQL: {index name: its CREATE INDEX statement} for the indexes `where` selects."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT indexname, indexdef FROM pg_indexes WHERE {where}", params)
        return dict(cursor.fetchall())


def test_reviews_and_decisions_index_a_column_once_and_users_where_set(db):
    """Issue #8: the jobs open and close hundreds of thousands of reviews and write a decision
    per revocation. The certificate is indexed once (by the unique or composite index that
    leads with it); the users' columns, empty on every row a job writes, only where set."""
    from django.db import connection

    assert index_columns("certificates_annualreview") == [
        ("certificate_id,year", True),
        ("deadline", False),
        ("decided_by_id", False),
        ("submitted_at,id", False),
        ("submitted_by_id", False),
    ]
    assert index_columns("certificates_certificatedecision") == [
        ("certificate_id,relayed_at", False),
        ("decided_by_id", False),
        ("relayed_by_id", False),
    ]
    if connection.vendor == "postgresql":
        partial = index_definitions("indexname LIKE %s", ["%\\_by\\_set"])
        assert sorted(partial) == [
            "annualreview_decided_by_set",
            "annualreview_submitted_by_set",
            "decision_decided_by_set",
            "decision_relayed_by_set",
        ]
        assert all(d.endswith("IS NOT NULL)") for d in partial.values()), partial


def test_the_rows_every_job_writes_carry_no_index_they_do_not_need(db):
    """Issue #8: each certificate a job changes writes an audit entry and notifies someone.
    An audit entry is indexed by its sequence and its object, its actor (none for a job) only
    where set; a notification by recipient and read time (the inbox) and, while its e-mail is
    pending, by creation time (the outbox): no index of the recipient or the time alone. On
    PostgreSQL the certificate table leaves a tenth of each page free, so that a change no index
    reads (a reminder flag, the PDF) is a heap-only update."""
    from django.db import connection

    assert index_columns("audit_auditentry") == [
        ("actor_id", False),
        ("object_type,object_id,seq", False),
        ("seq", True),
    ]
    assert index_columns("notifications_notification") == [
        ("created_at", False),
        ("recipient_id,read_at", False),
    ]
    if connection.vendor == "postgresql":
        partial = index_definitions(
            "indexname = ANY(%s)", [["audit_actor_set", "notification_email_pending"]]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reloptions FROM pg_class WHERE relname = 'certificates_certificate'"
            )
            options = cursor.fetchone()[0]
        assert partial["audit_actor_set"].endswith("WHERE (actor_id IS NOT NULL)")
        assert partial["notification_email_pending"].endswith("WHERE (email_sent_at IS NULL)")
        assert options == ["fillfactor=90"]


def test_lookup_by_part_of_a_name_by_uscc_and_by_number_in_any_case(world):
    from certificates.models import Certificate

    mine = certificate_of(world)
    other = certificate_of(world, org=world.other_org)
    name = mine.organization.name
    for query in (name[1:4], mine.organization.uscc.lower(), mine.number.lower()):
        found = set(Certificate.objects.lookup(query))
        assert mine in found
        assert other not in found


def test_an_anonymous_visitor_gets_the_whole_page_from_the_cache(
    world, client, django_assert_num_queries
):
    """The page for anonymous visitors carries nothing of one visitor (no CSRF token, no user),
    so it is cached whole per language and replayed by the fast path (certificates/
    middleware.py) byte for byte, headers included, without a query."""
    from django.http import HttpResponse

    from certificates.lookups import answer_recording, answer_store, local_gates

    certificate = certificate_of(world)
    first = client.get(f"/verify/{certificate.number}/")
    assert b"csrfmiddlewaretoken" not in first.content
    with django_assert_num_queries(0):
        again = client.get(f"/verify/{certificate.number}/")
    assert (again.status_code, again.content) == (200, first.content)
    assert dict(again.headers) == dict(first.headers)
    assert again["Content-Language"] == "zh-hans"
    assert again["X-Frame-Options"] == "DENY"
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"] != ""
    # what is served is the recorded response: a changed entry shows (nothing else is rendered)
    fake = HttpResponse(b"<!DOCTYPE html><p>cached</p>", headers={"X-Recorded": "yes"})
    answer_store(certificate.number, "page-zh-hans", answer_recording(fake))
    for gate in local_gates():  # this process's own copy stays until the number is forgotten
        gate.forget([certificate.number])
    replayed = client.get(f"/verify/{certificate.number}/")
    assert (replayed.content, replayed["X-Recorded"]) == (b"<!DOCTYPE html><p>cached</p>", "yes")
    english = client.get(f"/verify/{certificate.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert english["Content-Language"] == "en"
    assert "Certificate" in english.content.decode()


def test_the_api_answer_is_replayed_whole_and_in_the_visitors_language(
    world, django_assert_num_queries
):
    """The JSON of an anonymous lookup is replayed by the fast path with the headers DRF and
    the inner layers gave it; its status label is translated, so each language has its own."""
    certificate = certificate_of(world)
    url = f"/api/v1/public/certificates/{certificate.number}/"
    first = APIClient().get(url)
    with django_assert_num_queries(0):
        again = APIClient().get(url, HTTP_ACCEPT="application/json")
    assert (again.status_code, again.content) == (200, first.content)
    assert dict(again.headers) == dict(first.headers)
    assert (again["Allow"], again["Vary"]) == (
        "GET, HEAD, OPTIONS",
        "Accept, Accept-Language, Cookie",
    )
    english = APIClient().get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (first.json()["status_display"], english.json()["status_display"]) == ("有效", "Valid")
    assert english["Content-Language"] == "en"
    # a browser asking for HTML gets DRF's browsable page, not the recorded JSON
    browsable = APIClient().get(url, HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"] == "text/html; charset=utf-8"


def test_the_fast_path_counts_each_lookup_once_and_limits_as_the_views_do(world, client, settings):
    """A lookup the fast path cannot answer (no cached answer yet) goes on to the view, which
    takes the gate's verdict instead of counting the request a second time."""
    from django.core.cache import cache
    from django.utils import timezone

    from certificates.lookups import KEY, local_counts_merge

    settings.PUBLIC_LOOKUP_RATE = "3/m"
    certificate = certificate_of(world)
    codes = [client.get(f"/verify/{certificate.number}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    local_counts_merge()  # what this process's gate merges within a tenth of a second
    counted = cache.get(KEY.format(day=timezone.localdate().isoformat(), channel="html"))
    assert counted == 4
    refused = client.get(f"/verify/{certificate.number}/")
    assert refused.status_code == 429 and "Retry-After" in refused


def test_the_fast_path_checks_the_host_and_answers_only_what_it_recorded(world, client):
    certificate = certificate_of(world)
    html(client, certificate)
    assert client.get(f"/verify/{certificate.number}/", HTTP_HOST="evil.example").status_code == 400
    # a number in another case is not the certificate's: a 404 that is never recorded
    lower = f"/verify/{certificate.number.lower()}/"
    assert [client.get(lower).status_code for _ in range(2)] == [404, 404]
    # a query string goes down the whole stack (the QR code's token is checked there)
    checked = client.get(f"/verify/{certificate.number}/", {"t": "forged"})
    assert checked.status_code == 200 and "csrfmiddlewaretoken" not in checked.content.decode()


def test_a_signed_in_visitor_gets_their_own_page_around_the_cached_record(world, client):
    certificate = certificate_of(world)
    anonymous = html(client, certificate)
    client.force_login(world.other_applicant)
    mine = html(client, certificate)
    assert "applicant-b" not in anonymous
    assert "applicant-b" in mine and "csrfmiddlewaretoken" in mine  # their log-out form
    assert certificate.organization.name in mine
    client.logout()
    assert html(client, certificate) == anonymous


def test_the_pages_and_the_api_share_one_lookup_budget_per_address(world, client, settings):
    settings.PUBLIC_LOOKUP_RATE = "4/m"
    certificate = certificate_of(world)
    api_client = APIClient()
    codes = [
        client.get(f"/verify/{certificate.number}/").status_code,
        api_client.get(f"/api/v1/public/certificates/{certificate.number}/").status_code,
        client.get("/verify/", {"q": certificate.number}).status_code,
        api_client.get("/api/v1/public/certificates/", {"q": certificate.number}).status_code,
        client.get(f"/verify/{certificate.number}/").status_code,
        api_client.get(f"/api/v1/public/certificates/{certificate.number}/").status_code,
    ]
    assert codes == [200, 200, 200, 200, 429, 429]
    other = APIClient(REMOTE_ADDR="192.0.2.9")
    assert other.get(f"/api/v1/public/certificates/{certificate.number}/").status_code == 200


def test_a_name_common_to_too_many_holders_searches_the_first_by_name_and_says_so(
    world, client, monkeypatch
):
    """Issue #8: a common word would read and sort the certificates of tens of thousands of
    holders; the first HOLDER_CAP holders by name are searched and the visitor is told."""
    from ietsportal.accounts.models import Organization

    mine = certificate_of(world)  # held by 北京甲…
    other = certificate_of(world, org=world.other_org)
    names = sorted([mine.organization.name, other.organization.name])
    common = "科技"
    assert all(common in name for name in names)
    monkeypatch.setattr("certificates.models.certificate.HOLDER_CAP", 1)
    first = mine if mine.organization.name == names[0] else other
    rest = other if first is mine else mine
    assert Organization.objects.filter(name__contains=common).count() > 1

    page = client.get("/verify/", {"q": common}).content.decode()
    assert first.number in page and rest.number not in page
    assert "只列出按名称排序的前 1 家" in page
    response = APIClient().get("/api/v1/public/certificates/", {"q": common})
    assert [c["number"] for c in response.json()["results"]] == [first.number]
    assert response["X-Holders-Truncated"] == "1"

    monkeypatch.setattr("certificates.models.certificate.HOLDER_CAP", 200)
    page = client.get("/verify/", {"q": common}).content.decode()
    assert first.number in page and rest.number in page and "只列出" not in page
    response = APIClient().get("/api/v1/public/certificates/", {"q": common})
    assert "X-Holders-Truncated" not in response


def test_the_answers_of_another_release_are_never_served(world, client, monkeypatch):
    """A deploy that changes a template, the serializer, a translation or a static file's name
    reads other fields of the cached entry (`answers_build`): no page of the old release."""
    from django.http import HttpResponse

    from certificates import lookups

    certificate = certificate_of(world)
    old = lookups.answer_recording(HttpResponse(b"<p>the old release</p>"))
    lookups.answer_store(certificate.number, "page-zh-hans", old)
    old_json = lookups.answer_recording(
        HttpResponse(b'{"old": true}', content_type="application/json")
    )
    lookups.answer_store(certificate.number, "api-zh-hans", old_json)
    lookups.answer_store(certificate.number, "json-zh-hans", b'{"old": true}')
    assert client.get(f"/verify/{certificate.number}/").content == b"<p>the old release</p>"
    assert client.get(f"/api/v1/public/certificates/{certificate.number}/").json() == {"old": True}

    monkeypatch.setattr(lookups, "answers_build", lambda: "next-release")
    page = html(client, certificate)
    assert "the old release" not in page and certificate.organization.name in page
    assert api(certificate)["number"] == certificate.number


def test_the_release_of_the_answers_is_a_digest_of_what_they_are_made_with(settings):
    from certificates import lookups

    assert all((settings.BASE_DIR / name).is_file() for name in lookups.BUILD_SOURCES)
    assert len(lookups.answers_build()) == 12
