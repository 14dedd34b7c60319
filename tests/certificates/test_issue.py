"""Certificates (M§14(5), M§15, M§17, M§19): issued once per application by the scheduled
job, valid 3 years; lapse when past due (idempotently); suspended, reinstated and revoked by
the center only."""

import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates.enums import CertificateStatus as C
from certificates.models import Certificate, CertificateDecision
from certificates.services import (
    certificate_create_for,
    certificate_reinstate,
    certificate_revoke,
    certificate_suspend,
    certificates_expire_due,
)
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification
from tests.helpers import expert_opinion

SHANGHAI = ZoneInfo("Asia/Shanghai")


def in_publicity(flow, applicant=None, **kwargs):
    return flow.to(flow.draft(applicant, **kwargs), S.PUBLICITY)


def issued(flow, applicant=None, **kwargs):
    return Certificate.objects.get(application=flow.to(flow.draft(applicant, **kwargs), S.ISSUED))


# ---- issue


def test_issue_job_creates_a_certificate_valid_for_three_years(flow, world):
    app = in_publicity(flow)
    # 20:00 UTC is already the next day in China: the dates are Beijing time.
    run_at = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
    assert app.publicity_ends_at < run_at

    assert run_due_jobs(now=run_at)["issue_after_publicity"] == 1

    certificate = Certificate.objects.get(application=app)
    assert certificate.number == f"IETS-2026-{app.pk:06d}"
    assert (certificate.kind, certificate.grade, certificate.status, certificate.version) == (
        "grade",
        "IETS-3",
        C.VALID,
        1,
    )
    assert (certificate.organization, certificate.institution) == (world.org, world.inst)
    assert (certificate.issued_on, certificate.expires_on) == (date(2026, 3, 10), date(2029, 3, 10))
    assert certificate.status_changed_at == run_at
    assert certificate.is_current
    entry = AuditEntry.objects.get(action="certificate.issue")
    assert (entry.actor_name, entry.object_id, entry.data) == (
        "system",
        str(certificate.pk),
        {
            "number": certificate.number,
            "application": app.number,
            "grade": "IETS-3",
            "expires_on": "2029-03-10",
        },
    )
    assert sorted(
        Notification.objects.filter(key="certificate.issued").values_list(
            "recipient__username", flat=True
        )
    ) == ["a-assessor1", "a-assessor2", "applicant", "center", "inst-a"]


def test_issue_uses_the_final_grade_of_the_center(flow, world, t0):

    app = flow.to(flow.draft(grade="IETS-2"), S.EXPERT_REVIEW)
    for expert in world.experts:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=t0,
            approves=True,
            recommended_grade="IETS-1",
            opinion="同意。",
        )
    flow.fire(
        app, "confirm", world.center, t0, final_grade="IETS-1", reason="专家一致认为达到一级。"
    )
    app.refresh_from_db()

    run_due_jobs(now=app.publicity_ends_at)

    assert Certificate.objects.get(application=app).grade == "IETS-1"


def test_innovation_certificate_has_its_own_prefix_and_no_grade(flow, world):
    app = in_publicity(flow, kind="innovation")

    run_due_jobs(now=app.publicity_ends_at + timedelta(hours=1))

    certificate = Certificate.objects.get(application=app)
    assert (certificate.number, certificate.kind, certificate.grade) == (
        f"ITAI-2026-{app.pk:06d}",
        "innovation",
        "",
    )


def test_certificate_issued_on_29_february_expires_on_28_february(flow, world):
    app = in_publicity(flow)

    # The job catches up long after the window (e.g. after an outage).
    run_due_jobs(now=datetime(2028, 2, 29, 10, 0, tzinfo=SHANGHAI))

    certificate = Certificate.objects.get(application=app)
    assert (certificate.issued_on, certificate.expires_on) == (date(2028, 2, 29), date(2031, 2, 28))


def test_issue_job_does_nothing_before_the_window_ends(flow, world):
    app = in_publicity(flow)

    result = run_due_jobs(now=app.publicity_ends_at - timedelta(seconds=1))

    assert (result["issue_after_publicity"], result["expire_certificates"]) == (0, 0)
    app.refresh_from_db()
    assert (app.state, Certificate.objects.count()) == (S.PUBLICITY, 0)


def test_issue_job_run_twice_issues_one_certificate(flow, world):
    app = in_publicity(flow)
    other = in_publicity(flow, world.other_applicant)
    after = max(app.publicity_ends_at, other.publicity_ends_at)

    assert run_due_jobs(now=after)["issue_after_publicity"] == 2
    assert run_due_jobs(now=after)["issue_after_publicity"] == 0
    assert run_due_jobs(now=after + timedelta(days=30))["issue_after_publicity"] == 0

    assert Certificate.objects.filter(application=app).count() == 1
    assert Certificate.objects.filter(application=other).count() == 1
    assert AuditEntry.objects.filter(action="certificate.issue").count() == 2


def test_run_due_jobs_command_issues_as_of_the_given_instant(flow, world):
    app = in_publicity(flow)
    out = StringIO()

    call_command("run_due_jobs", "--at", "2026-03-16T09:00:00+08:00", stdout=out)

    assert out.getvalue().splitlines()[:2] == ["issue_after_publicity: 1", "expire_certificates: 0"]
    assert Certificate.objects.get(application=app).issued_on == date(2026, 3, 16)


def test_second_certificate_for_the_same_application_is_refused(flow, world):
    certificate = issued(flow)
    entries = AuditEntry.objects.count()

    with pytest.raises(Conflict):
        certificate_create_for(
            application=certificate.application, actor=None, now=datetime(2026, 4, 1, tzinfo=UTC)
        )

    assert Certificate.objects.count() == 1
    assert AuditEntry.objects.count() == entries


# ---- expiry (M§17)


def test_expire_due_lapses_only_valid_certificates_past_their_end(flow, world):
    past = issued(flow)
    today = issued(flow, world.other_applicant)
    suspended = issued(flow)
    Certificate.objects.filter(pk__in=[past.pk, suspended.pk]).update(expires_on=date(2027, 1, 1))
    Certificate.objects.filter(pk=today.pk).update(expires_on=date(2027, 1, 2))
    certificate_suspend(
        number=suspended.number,
        actor=world.center,
        reason="年审未交。",
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )
    now = datetime(2027, 1, 2, 23, 59, tzinfo=SHANGHAI)

    assert certificates_expire_due(now=now) == 1

    statuses = dict(Certificate.objects.values_list("number", "status"))
    assert statuses == {
        past.number: C.EXPIRED,
        today.number: C.VALID,
        suspended.number: C.SUSPENDED,
    }
    assert Certificate.objects.get(pk=past.pk).status_changed_at == now
    assert list(
        AuditEntry.objects.filter(action="certificate.expire").values_list(
            "object_id", "data", "actor_name"
        )
    ) == [(str(past.pk), {"number": past.number}, "system")]


def test_expire_due_is_idempotent(flow, world):
    certificate = issued(flow)
    first = datetime.combine(
        certificate.expires_on + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI
    )

    assert certificates_expire_due(now=first) == 1
    assert certificates_expire_due(now=first) == 0
    assert certificates_expire_due(now=first + timedelta(days=400)) == 0

    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_changed_at) == (C.EXPIRED, first)
    assert AuditEntry.objects.filter(action="certificate.expire").count() == 1


def test_certificate_is_valid_through_its_last_day_in_beijing_time(flow, world):
    certificate = issued(flow)
    last_day = certificate.expires_on
    end_of_last_day = datetime.combine(last_day, datetime.max.time(), tzinfo=SHANGHAI)

    assert certificates_expire_due(now=end_of_last_day) == 0
    assert certificates_expire_due(now=end_of_last_day + timedelta(microseconds=1)) == 1


def test_run_due_jobs_expires_and_the_public_lookup_shows_it(flow, world):
    certificate = issued(flow)
    out = StringIO()

    call_command(
        "run_due_jobs",
        "--at",
        (certificate.expires_on + timedelta(days=1)).isoformat() + "T08:00:00+08:00",
        stdout=out,
    )

    assert out.getvalue().splitlines()[1] == "expire_certificates: 1"
    response = APIClient().get(f"/api/v1/public/certificates/{certificate.number}/")
    assert response.json()["status"] == "expired"


# ---- suspend, reinstate, revoke (M§19): the center only


def test_center_suspends_reinstates_and_revokes(flow, world):
    certificate = issued(flow)
    number = certificate.number
    t = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    certificate = certificate_suspend(
        number=number, actor=world.center, reason=" 年审逾期。 ", now=t
    )
    assert (certificate.status, certificate.status_changed_at) == (C.SUSPENDED, t)
    assert not certificate.is_current
    certificate = certificate_reinstate(
        number=number, actor=world.center, reason="已补年审。", now=t + timedelta(days=10)
    )
    assert (certificate.status, certificate.status_changed_at) == (C.VALID, t + timedelta(days=10))
    certificate = certificate_revoke(
        number=number, actor=world.center, reason="提供虚假材料。", now=t + timedelta(days=20)
    )
    assert (certificate.status, certificate.status_changed_at) == (
        C.REVOKED,
        t + timedelta(days=20),
    )

    decisions = list(
        CertificateDecision.objects.filter(certificate=certificate).values_list("pk", flat=True)
    )
    assert list(
        AuditEntry.objects.filter(
            object_type="certificates.certificate",
            action__in=["certificate.suspend", "certificate.reinstate", "certificate.revoke"],
        )
        .order_by("seq")
        .values_list("action", "actor_name", "data")
    ) == [
        (
            "certificate.suspend",
            "center",
            {
                "from": "valid",
                "to": "suspended",
                "reason": "年审逾期。",
                "grounds": "noncompliant",
                "decision": decisions[0],
            },
        ),
        (
            "certificate.reinstate",
            "center",
            {
                "from": "suspended",
                "to": "valid",
                "reason": "已补年审。",
                "grounds": "resolved",
                "decision": decisions[1],
            },
        ),
        (
            "certificate.revoke",
            "center",
            {
                "from": "valid",
                "to": "revoked",
                "reason": "提供虚假材料。",
                "grounds": "noncompliant",
                "decision": decisions[2],
            },
        ),
    ]
    # M§19–20: each decision is kept, waiting for the institution to relay it.
    assert list(
        CertificateDecision.objects.filter(certificate=certificate).values_list(
            "kind", "reason", "relayed_at"
        )
    ) == [
        ("suspend", "noncompliant", None),
        ("reinstate", "resolved", None),
        ("revoke", "noncompliant", None),
    ]
    assert APIClient().get(f"/api/v1/public/certificates/{number}/").json()["status"] == ("revoked")


def test_suspended_certificate_can_be_revoked(flow, world):
    certificate = issued(flow)
    t = datetime(2026, 6, 1, tzinfo=UTC)
    certificate_suspend(number=certificate.number, actor=world.center, reason="暂停。", now=t)

    certificate = certificate_revoke(
        number=certificate.number, actor=world.center, reason="撤销。", now=t + timedelta(days=1)
    )

    assert certificate.status == C.REVOKED


@pytest.mark.parametrize("change", [certificate_suspend, certificate_revoke, certificate_reinstate])
def test_only_the_center_changes_a_certificate_others_get_404(flow, world, change):
    certificate = issued(flow)
    if change is certificate_reinstate:
        certificate_suspend(
            number=certificate.number,
            actor=world.center,
            reason="暂停。",
            now=datetime(2026, 6, 1, tzinfo=UTC),
        )
        certificate.refresh_from_db()
    entries = AuditEntry.objects.count()

    for actor in (
        world.applicant,
        world.inst_admin,
        world.assessors[0],
        world.experts[0],
        world.other_admin,
        None,
    ):
        with pytest.raises(NotFound) as exc:
            change(
                number=certificate.number,
                actor=actor,
                reason="理由。",
                now=datetime(2026, 7, 1, tzinfo=UTC),
            )
        assert exc.value.status_code == 404

    assert Certificate.objects.get(pk=certificate.pk).status == certificate.status
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("reason", ["", "   "])
def test_certificate_change_without_a_reason_is_refused(flow, world, reason):
    certificate = issued(flow)

    with pytest.raises(InvalidInput) as exc:
        certificate_suspend(
            number=certificate.number,
            actor=world.center,
            reason=reason,
            now=datetime(2026, 6, 1, tzinfo=UTC),
        )

    assert exc.value.field == "reason"
    assert Certificate.objects.get(pk=certificate.pk).status == C.VALID


def test_certificate_change_of_an_unknown_number_is_not_found(world):
    with pytest.raises(NotFound):
        certificate_revoke(
            number="IETS-2026-999999",
            actor=world.center,
            reason="撤销。",
            now=datetime(2026, 6, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    ("status", "change"),
    [
        (C.SUSPENDED, certificate_suspend),
        (C.VALID, certificate_reinstate),
        (C.REVOKED, certificate_revoke),
        (C.REVOKED, certificate_suspend),
        (C.REVOKED, certificate_reinstate),
        (C.EXPIRED, certificate_suspend),
        (C.EXPIRED, certificate_revoke),
    ],
)
def test_certificate_change_in_the_wrong_status_is_a_conflict(flow, world, status, change):
    certificate = issued(flow)
    Certificate.objects.filter(pk=certificate.pk).update(status=status)
    entries = AuditEntry.objects.count()

    with pytest.raises(Conflict) as exc:
        change(
            number=certificate.number,
            actor=world.center,
            reason="理由。",
            now=datetime(2026, 6, 1, tzinfo=UTC),
        )

    assert exc.value.status_code == 409
    assert Certificate.objects.get(pk=certificate.pk).status == status
    assert AuditEntry.objects.count() == entries


def test_expire_due_works_in_batches_each_its_own_transaction(flow, world, monkeypatch):
    """Issue #8: the job takes `JOB_BATCH` certificates at a time; every due certificate lapses
    once, its audit entries chain, and the queries grow with the batches, not the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from certificates import services
    from ietsportal.audit.services import audit_chain_verify

    certs = [issued(flow), issued(flow, world.other_applicant), issued(flow)]
    Certificate.objects.filter(pk__in=[c.pk for c in certs]).update(expires_on=date(2027, 1, 1))
    monkeypatch.setattr(services, "JOB_BATCH", 2)
    now = datetime(2027, 1, 2, 12, tzinfo=SHANGHAI)

    with CaptureQueriesContext(connection) as ctx:
        assert certificates_expire_due(now=now) == 3
    # the due certificates found once, then locked and read two at a time
    sql = [q["sql"] for q in ctx.captured_queries]
    batches = [q for q in sql if re.match(r'SELECT .*"number" FROM "certificates_certificate"', q)]
    assert len(batches) == 2
    if connection.vendor == "postgresql":  # by a server-side cursor, declared once
        assert sql.count("SET cursor_tuple_fraction = 1.0") == 1
    else:
        found = r'SELECT "certificates_certificate"."id" AS "pk" FROM'
        assert len([q for q in sql if re.match(found, q)]) == 1
    assert set(Certificate.objects.values_list("status", flat=True)) == {C.EXPIRED}
    assert sorted(
        AuditEntry.objects.filter(action="certificate.expire").values_list("object_id", flat=True)
    ) == sorted(str(c.pk) for c in certs)
    assert audit_chain_verify() is None
    assert certificates_expire_due(now=now) == 0
