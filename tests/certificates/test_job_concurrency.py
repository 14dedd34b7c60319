"""Issue #8: the certificate jobs find their candidates by one cursor and lock each batch by id
(skip locked), checking the condition again under the lock. Run from two threads at once on
PostgreSQL (row locks are real there), with the center changing a certificate at the same
instant, every due certificate is handled exactly once and the audit chain holds."""

from datetime import date

import pytest

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
