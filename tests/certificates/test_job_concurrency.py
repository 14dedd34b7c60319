"""Issue #8: the certificate jobs find their candidates by one cursor and lock each batch by id
(skip locked), checking the condition again under the lock; on PostgreSQL a run works
`JOB_WORKERS` batches at once, each on its own connection. Run from two threads at once on
PostgreSQL (row locks are real there), with the center changing a certificate at the same
instant, every due certificate is handled exactly once and the audit chain holds."""

import itertools
import threading
import time
from datetime import date

import pytest
from django.db import DatabaseError, connection

from certificates import services
from certificates.enums import AnnualReviewState as R
from certificates.enums import CertificateStatus as C
from certificates.models import AnnualReview, Certificate, CertificateDecision
from certificates.services import (
    annual_reviews_mark_overdue,
    annual_reviews_open_due,
    certificate_suspend,
    certificates_expire_due,
)
from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify
from ietsportal.errors import Conflict
from tests.applications.test_concurrency import run_together
from tests.conftest import needs_postgres
from tests.helpers import beijing as at
from tests.helpers import issued_certificate

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

N = 9


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(services, "JOB_BATCH", 2)


def entries(action) -> list[str]:
    return sorted(AuditEntry.objects.filter(action=action).values_list("object_id", flat=True))


def test_two_expiry_runs_and_a_suspension_at_once_change_each_certificate_once(
    world, small_batches
):
    certificates = [issued_certificate(world, issued_on=date(2023, 1, 2 + i)) for i in range(N)]
    now = at(date(2026, 2, 1))
    target = certificates[4]

    results = run_together(
        lambda: certificates_expire_due(now=now),
        lambda: certificates_expire_due(now=now),
        lambda: certificate_suspend(
            number=target.number, actor=world.center, reason="现场核查发现问题。", now=now
        ),
    )

    (job1, expired1), (job2, expired2), (hand, outcome) = results
    assert (job1, job2) == ("ok", "ok"), results
    suspended = hand == "ok"
    assert suspended or isinstance(outcome, Conflict), results  # it had expired already
    expired = [c.pk for c in certificates if not (suspended and c.pk == target.pk)]
    assert expired1 + expired2 == len(expired)
    assert sorted(Certificate.objects.filter(status=C.EXPIRED).values_list("pk", flat=True)) == (
        sorted(expired)
    )
    assert Certificate.objects.get(pk=target.pk).status == (C.SUSPENDED if suspended else C.EXPIRED)
    assert entries("certificate.expire") == sorted(str(pk) for pk in expired)
    assert audit_chain_verify() is None


def test_two_runs_opening_reviews_at_once_open_each_review_once(world, small_batches):
    certificates = [issued_certificate(world, issued_on=date(2026, 3, 10 + i)) for i in range(N)]
    now = at(date(2027, 3, 1))  # within the notice period of every first anniversary

    results = run_together(
        lambda: annual_reviews_open_due(now=now), lambda: annual_reviews_open_due(now=now)
    )

    assert [kind for kind, _n in results] == ["ok", "ok"], results
    assert sum(n for _kind, n in results) == N
    assert sorted(AnnualReview.objects.values_list("certificate_id", "year")) == sorted(
        (c.pk, 1) for c in certificates
    )
    assert entries("certificate.annual_review_due") == sorted(str(c.pk) for c in certificates)
    assert audit_chain_verify() is None


def test_two_overdue_runs_at_once_revoke_each_certificate_once(world, small_batches):
    certificates = [issued_certificate(world, issued_on=date(2026, 3, 10 + i)) for i in range(N)]
    for c in certificates:
        AnnualReview.objects.create(
            certificate=c, year=1, due_on=date(2027, 3, 10), deadline=date(2027, 4, 9), state=R.DUE
        )
    now = at(date(2027, 5, 1))

    results = run_together(
        lambda: annual_reviews_mark_overdue(now=now), lambda: annual_reviews_mark_overdue(now=now)
    )

    assert [kind for kind, _n in results] == ["ok", "ok"], results
    assert sum(n for _kind, n in results) == N
    assert set(AnnualReview.objects.values_list("state", flat=True)) == {R.OVERDUE}
    assert set(Certificate.objects.values_list("status", flat=True)) == {C.REVOKED}
    assert sorted(CertificateDecision.objects.values_list("certificate_id", flat=True)) == sorted(
        c.pk for c in certificates
    )
    assert entries("certificate.revoke") == sorted(str(c.pk) for c in certificates)
    assert audit_chain_verify() is None


def backends() -> int:
    """The connections to the test database, this one included (a closed one's backend may
    take a moment to leave pg_stat_activity)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def settled(expected: int) -> int:
    for _ in range(100):
        if (found := backends()) == expected:
            return found
        time.sleep(0.02)
    return found


def job_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("job-batch-")]


def batch_backends(monkeypatch, *, meet: int = 0) -> list[tuple[str, int]]:
    """Record (thread, backend pid) of each batch as it locks its rows; the first `meet`
    batches wait for each other there, which they can only do if they are open at once."""
    locked_rows = services._locked_rows
    seen, meeting = [], threading.Barrier(meet) if meet else None

    def recorded(queryset, fields, ids):
        rows = locked_rows(queryset, fields, ids)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            seen.append((threading.current_thread().name, cursor.fetchone()[0]))
        if meeting and len(seen) <= meet:
            meeting.wait(timeout=20)  # BrokenBarrierError unless `meet` batches are open
        return rows

    monkeypatch.setattr(services, "_locked_rows", recorded)
    return seen


def test_a_run_works_two_batches_at_once_each_on_its_own_connection(
    world, small_batches, monkeypatch, settings
):
    settings.JOB_WORKERS = 2
    certificates = [issued_certificate(world, issued_on=date(2023, 1, 2 + i)) for i in range(N)]
    seen = batch_backends(monkeypatch, meet=2)
    before = backends()

    assert certificates_expire_due(now=at(date(2026, 2, 1))) == N

    assert len(seen) == 5  # 9 certificates, 2 a batch
    assert {name for name, _pid in seen} == {"job-batch-0", "job-batch-1"}
    assert len({pid for _name, pid in seen}) == 2
    assert set(Certificate.objects.values_list("status", flat=True)) == {C.EXPIRED}
    assert entries("certificate.expire") == sorted(str(c.pk) for c in certificates)
    assert audit_chain_verify() is None
    # the workers are gone and so are their connections
    assert job_threads() == []
    assert settled(before) == before


def test_one_worker_runs_the_batches_on_the_callers_connection(
    world, small_batches, monkeypatch, settings
):
    settings.JOB_WORKERS = 1
    for i in range(N):
        issued_certificate(world, issued_on=date(2023, 1, 2 + i))
    seen = batch_backends(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        ours = cursor.fetchone()[0]

    assert certificates_expire_due(now=at(date(2026, 2, 1))) == N

    assert seen == [(threading.current_thread().name, ours)] * 5


def test_a_failed_batch_stops_the_run_keeps_what_committed_and_is_raised(
    world, small_batches, monkeypatch, settings
):
    settings.JOB_WORKERS = 2
    certificates = [issued_certificate(world, issued_on=date(2023, 1, 2 + i)) for i in range(N)]
    before = backends()
    update, calls = services._update_certificates, itertools.count()

    def third_fails(ids, numbers, **changes):
        if next(calls) == 2:
            raise DatabaseError("the disk is full")
        return update(ids, numbers, **changes)

    monkeypatch.setattr(services, "_update_certificates", third_fails)
    now = at(date(2026, 2, 1))

    with pytest.raises(DatabaseError, match="the disk is full"):
        certificates_expire_due(now=now)

    expired = sorted(
        str(pk) for pk in Certificate.objects.filter(status=C.EXPIRED).values_list("pk", flat=True)
    )
    # the two batches before the failure committed, and maybe the other worker's next one;
    # the failed batch left nothing, and every lapse that stayed has its one entry
    assert len(expired) in (4, 6), expired
    assert entries("certificate.expire") == expired
    assert audit_chain_verify() is None
    assert job_threads() == []
    assert settled(before) == before

    # the next run does the rest
    monkeypatch.setattr(services, "_update_certificates", update)
    assert certificates_expire_due(now=now) == N - len(expired)
    assert entries("certificate.expire") == sorted(str(c.pk) for c in certificates)
    assert audit_chain_verify() is None
