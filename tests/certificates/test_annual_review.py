"""Annual review (M§15, M§17): each year of validity a review falls due on the anniversary,
opened ANNUAL_REVIEW_NOTICE_DAYS before it by the scheduled job; the holder submits its
materials; the center passes or fails it; failed, or left unsubmitted past the grace period
(ANNUAL_REVIEW_GRACE_DAYS), the certificate is revoked. The jobs are idempotent and set-based."""

from datetime import date, timedelta
from functools import partial

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.enums import AnnualReviewState as R
from certificates.enums import CertificateStatus as C
from certificates.enums import DecisionKind, DecisionReason
from certificates.models import AnnualReview, Certificate, CertificateDecision
from certificates.services import (
    annual_review_decide,
    annual_review_submit,
    annual_reviews_mark_overdue,
    annual_reviews_open_due,
)
from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify
from ietsportal.errors import Conflict, InvalidInput, NotFound
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers import beijing as at
from tests.helpers import issued_certificate

ISSUED_ON = date(2026, 3, 10)  # anniversaries 2027-03-10 and 2028-03-10, expiry 2029-03-10


certificate_of = partial(issued_certificate, issued_on=ISSUED_ON)


def due_review(world, certificate=None, *, year=1):
    """The review the job opens for `certificate` (default: a new one of the applicant)."""
    certificate = certificate or certificate_of(world)
    anniversary = certificate.issued_on + relativedelta(years=year)
    run_due_jobs(now=at(anniversary - timedelta(days=30)))
    return AnnualReview.objects.get(certificate=certificate, year=year)


def notified(key):
    return list(
        Notification.objects.filter(key=key)
        .order_by("recipient__username", "id")
        .values_list("recipient__username", "params")
    )


# ---- the job opens reviews


def test_annual_review_not_opened_before_the_notice_period(world):
    certificate_of(world)

    run_due_jobs(now=at(date(2027, 2, 7), 23, 59))

    assert AnnualReview.objects.count() == 0
    assert Notification.objects.filter(key="certificate.annual_review_due").count() == 0


def test_annual_review_opens_thirty_days_before_the_anniversary(world):
    second_member = UserFactory(organization=world.org, username="applicant-2")
    certificate = certificate_of(world)
    certificate_of(world, world.other_org, issued_on=date(2026, 3, 11))
    now = at(date(2027, 2, 8))

    assert annual_reviews_open_due(now=now) == 1

    review = AnnualReview.objects.get()
    assert (review.certificate, review.year, review.state) == (certificate, 1, R.DUE)
    assert (review.due_on, review.deadline) == (date(2027, 3, 10), date(2027, 5, 9))
    params = {"certificate": certificate.number, "due_on": "2027-03-10", "deadline": "2027-05-09"}
    assert notified("certificate.annual_review_due") == [
        ("applicant", params),
        (second_member.username, params),
    ]
    entry = AuditEntry.objects.get(action="certificate.annual_review_due")
    assert (entry.actor_name, entry.object_id, entry.data) == (
        "system",
        str(certificate.pk),
        {"year": 1, "due_on": "2027-03-10", "deadline": "2027-05-09"},
    )
    assert Certificate.objects.get(pk=certificate.pk).status == C.VALID


def test_annual_review_job_is_idempotent(world):
    certificate_of(world)
    now = at(date(2027, 2, 8))
    run_due_jobs(now=now)

    for later in (now, now + timedelta(hours=5), now + timedelta(days=10)):
        assert run_due_jobs(now=later)["open_annual_reviews"] == 0

    assert AnnualReview.objects.count() == 1
    assert Notification.objects.filter(key="certificate.annual_review_due").count() == 1
    assert AuditEntry.objects.filter(action="certificate.annual_review_due").count() == 1


@pytest.mark.parametrize("status", [C.SUSPENDED, C.REVOKED, C.EXPIRED, C.REPLACED])
def test_annual_review_not_opened_for_a_certificate_not_in_force(world, status):
    certificate_of(world, status=status)

    assert annual_reviews_open_due(now=at(date(2027, 3, 1))) == 0

    assert AnnualReview.objects.count() == 0
    assert Notification.objects.count() == 0


def test_annual_review_of_the_second_year(world):
    certificate = certificate_of(world)
    first = due_review(world, certificate)
    AnnualReview.objects.filter(pk=first.pk).update(state=R.PASSED)

    # 2028 is a leap year: 30 days before 10 March is 9 February.
    assert annual_reviews_open_due(now=at(date(2028, 2, 8), 23, 59)) == 0
    assert annual_reviews_open_due(now=at(date(2028, 2, 9))) == 1
    assert annual_reviews_open_due(now=at(date(2028, 2, 9), 12)) == 0

    second = AnnualReview.objects.get(certificate=certificate, year=2)
    assert (second.due_on, second.deadline, second.state) == (
        date(2028, 3, 10),
        date(2028, 5, 9),
        R.DUE,
    )
    assert [p["due_on"] for _u, p in notified("certificate.annual_review_due")] == [
        "2027-03-10",
        "2028-03-10",
    ]


def test_annual_review_never_opened_for_the_third_anniversary_which_is_the_expiry(world):
    certificate = certificate_of(world)
    for year in (1, 2):
        review = due_review(world, certificate, year=year)
        AnnualReview.objects.filter(pk=review.pk).update(state=R.PASSED)

    for day in (date(2029, 2, 8), date(2029, 3, 9), date(2029, 3, 10)):
        assert run_due_jobs(now=at(day, 12))["open_annual_reviews"] == 0

    assert sorted(AnnualReview.objects.values_list("year", flat=True)) == [1, 2]


def test_annual_review_catch_up_gives_the_full_grace_period_from_today(world):
    certificate = certificate_of(world)

    # The job did not run for months (an outage): the holder still gets the grace period.
    result = run_due_jobs(now=at(date(2027, 6, 1), 9))

    assert (result["open_annual_reviews"], result["revoke_overdue_annual_reviews"]) == (1, 0)
    review = AnnualReview.objects.get()
    assert (review.year, review.due_on, review.deadline, review.state) == (
        1,
        date(2027, 3, 10),
        date(2027, 7, 31),
        R.DUE,
    )
    assert Certificate.objects.get(pk=certificate.pk).status == C.VALID


def test_annual_review_catch_up_after_both_anniversaries_opens_both_years(world):
    certificate_of(world)

    assert annual_reviews_open_due(now=at(date(2028, 4, 1))) == 2

    assert sorted(AnnualReview.objects.values_list("year", "due_on", "deadline")) == [
        (1, date(2027, 3, 10), date(2028, 5, 31)),
        (2, date(2028, 3, 10), date(2028, 5, 31)),
    ]


def test_annual_review_of_a_certificate_issued_on_29_february_gets_the_full_notice(world):
    # The first anniversary of 2028-02-29 is 2029-02-28: its review opens 30 days before it.
    certificate_of(world, issued_on=date(2028, 2, 29))

    assert annual_reviews_open_due(now=at(date(2029, 1, 28), 23, 59)) == 0
    assert annual_reviews_open_due(now=at(date(2029, 1, 29))) == 1

    review = AnnualReview.objects.get()
    assert (review.year, review.due_on, review.deadline) == (
        1,
        date(2029, 2, 28),
        date(2029, 4, 29),
    )


def test_annual_review_uses_the_notice_and_grace_settings(world, settings):
    settings.ANNUAL_REVIEW_NOTICE_DAYS = 10
    settings.ANNUAL_REVIEW_GRACE_DAYS = 5
    certificate_of(world)

    assert annual_reviews_open_due(now=at(date(2027, 2, 27))) == 0
    assert annual_reviews_open_due(now=at(date(2027, 2, 28))) == 1

    review = AnnualReview.objects.get()
    assert (review.due_on, review.deadline) == (date(2027, 3, 10), date(2027, 3, 15))


# ---- the holder submits


def test_annual_review_submitted_by_the_holder(world):
    review = due_review(world)
    now = at(date(2027, 3, 1), 10)

    annual_review_submit(
        review_id=review.pk, actor=world.applicant, materials="  年度材料。 ", now=now
    )

    review.refresh_from_db()
    assert (review.state, review.materials, review.submitted_by, review.submitted_at) == (
        R.SUBMITTED,
        "年度材料。",
        world.applicant,
        now,
    )
    entry = AuditEntry.objects.get(action="certificate.annual_review_submit")
    assert (entry.actor_name, entry.object_id, entry.data) == (
        "applicant",
        str(review.certificate_id),
        {"year": 1},
    )


@pytest.mark.parametrize(
    "who", ["other_applicant", "inst_admin", "other_admin", "center", "experts"]
)
def test_annual_review_submit_by_anyone_but_the_holder_is_not_found(world, who):
    review = due_review(world)
    actor = getattr(world, who)
    actor = actor[0] if isinstance(actor, list) else actor

    with pytest.raises(NotFound):
        annual_review_submit(
            review_id=review.pk, actor=actor, materials="材料", now=at(date(2027, 3, 1))
        )

    review.refresh_from_db()
    assert (review.state, review.materials) == (R.DUE, "")
    assert not AuditEntry.objects.filter(action="certificate.annual_review_submit").exists()


def test_annual_review_submit_of_an_unknown_review_is_not_found(world):
    with pytest.raises(NotFound):
        annual_review_submit(
            review_id=999999, actor=world.applicant, materials="x", now=at(ISSUED_ON)
        )


@pytest.mark.parametrize("materials", ["", "   \n "])
def test_annual_review_submit_without_materials_is_refused(world, materials):
    review = due_review(world)

    with pytest.raises(InvalidInput) as exc:
        annual_review_submit(
            review_id=review.pk,
            actor=world.applicant,
            materials=materials,
            now=at(date(2027, 3, 1)),
        )

    assert (exc.value.status_code, exc.value.field) == (400, "materials")
    assert AnnualReview.objects.get(pk=review.pk).state == R.DUE


def test_annual_review_submitted_twice_is_a_conflict(world):
    review = due_review(world)
    first = at(date(2027, 3, 1))
    annual_review_submit(review_id=review.pk, actor=world.applicant, materials="第一次", now=first)

    with pytest.raises(Conflict) as exc:
        annual_review_submit(
            review_id=review.pk, actor=world.applicant, materials="第二次", now=first + timedelta(1)
        )

    assert exc.value.status_code == 409
    review.refresh_from_db()
    assert (review.materials, review.submitted_at) == ("第一次", first)
    assert AuditEntry.objects.filter(action="certificate.annual_review_submit").count() == 1


def test_annual_review_submit_after_the_deadline_is_a_conflict(world):
    review = due_review(world)

    # The last day is still open; the day after it is not, even before the job has run.
    annual_review_submit(
        review_id=review.pk,
        actor=world.applicant,
        materials="材料",
        now=at(review.deadline, 23, 59),
    )
    late = due_review(world, certificate_of(world, world.other_org, issued_on=ISSUED_ON))
    with pytest.raises(Conflict):
        annual_review_submit(
            review_id=late.pk,
            actor=world.other_applicant,
            materials="材料",
            now=at(late.deadline + timedelta(days=1)),
        )

    assert AnnualReview.objects.get(pk=late.pk).state == R.DUE


# ---- the center decides


def submitted_review(world):
    review = due_review(world)
    annual_review_submit(
        review_id=review.pk, actor=world.applicant, materials="年度材料", now=at(date(2027, 3, 1))
    )
    return review


def test_annual_review_passed_keeps_the_certificate_valid(world):
    review = submitted_review(world)
    now = at(date(2027, 3, 20), 10)

    annual_review_decide(
        review_id=review.pk, actor=world.center, passed=True, note="合格。", now=now
    )

    review.refresh_from_db()
    assert (review.state, review.decided_by, review.decided_at, review.decision_note) == (
        R.PASSED,
        world.center,
        now,
        "合格。",
    )
    certificate = Certificate.objects.get(pk=review.certificate_id)
    assert (certificate.status, certificate.status_changed_at) == (C.VALID, at(ISSUED_ON))
    assert CertificateDecision.objects.count() == 0
    assert notified("certificate.annual_review_decided") == [
        ("applicant", {"certificate": certificate.number, "result": "passed"})
    ]
    entry = AuditEntry.objects.get(action="certificate.annual_review_decide")
    assert (entry.actor_name, entry.data) == ("center", {"year": 1, "result": "passed"})


def test_annual_review_failed_revokes_the_certificate_with_a_decision_to_relay(world):
    review = submitted_review(world)
    now = at(date(2027, 3, 20), 10)

    annual_review_decide(
        review_id=review.pk, actor=world.center, passed=False, note="材料不符合要求。", now=now
    )

    review.refresh_from_db()
    assert review.state == R.FAILED
    certificate = Certificate.objects.get(pk=review.certificate_id)
    assert (certificate.status, certificate.status_changed_at) == (C.REVOKED, now)
    decision = CertificateDecision.objects.get()
    assert (
        decision.certificate,
        decision.kind,
        decision.reason,
        decision.explanation,
        decision.decided_by,
        decision.relayed_at,
    ) == (
        certificate,
        DecisionKind.REVOKE,
        DecisionReason.ANNUAL_REVIEW_FAILED,
        "材料不符合要求。",
        world.center,
        None,
    )
    revoke = AuditEntry.objects.get(action="certificate.revoke")
    assert (revoke.actor_name, revoke.data) == (
        "center",
        {
            "from": "valid",
            "to": "revoked",
            "grounds": "annual_review_failed",
            "reason": "材料不符合要求。",
            "decision": decision.pk,
        },
    )
    assert notified("certificate.annual_review_decided") == [
        ("applicant", {"certificate": certificate.number, "result": "failed"})
    ]
    assert notified("certificate.decision_to_relay") == [
        ("inst-a", {"certificate": certificate.number, "decision": "revoke"})
    ]


@pytest.mark.parametrize("who", ["applicant", "inst_admin", "other_admin", "experts"])
def test_annual_review_decide_by_anyone_but_the_center_is_not_found(world, who):
    review = submitted_review(world)
    actor = getattr(world, who)
    actor = actor[0] if isinstance(actor, list) else actor

    with pytest.raises(NotFound):
        annual_review_decide(
            review_id=review.pk, actor=actor, passed=True, note="合格", now=at(date(2027, 3, 20))
        )

    assert AnnualReview.objects.get(pk=review.pk).state == R.SUBMITTED


def test_annual_review_decide_without_a_note_is_refused(world):
    review = submitted_review(world)

    with pytest.raises(InvalidInput) as exc:
        annual_review_decide(
            review_id=review.pk,
            actor=world.center,
            passed=False,
            note=" ",
            now=at(date(2027, 3, 20)),
        )

    assert (exc.value.status_code, exc.value.field) == (400, "note")
    assert AnnualReview.objects.get(pk=review.pk).state == R.SUBMITTED
    assert Certificate.objects.get().status == C.VALID


def test_annual_review_decide_before_submission_or_twice_is_a_conflict(world):
    review = due_review(world)
    with pytest.raises(Conflict):
        annual_review_decide(
            review_id=review.pk,
            actor=world.center,
            passed=True,
            note="合格",
            now=at(date(2027, 3, 1)),
        )
    annual_review_submit(
        review_id=review.pk, actor=world.applicant, materials="材料", now=at(date(2027, 3, 2))
    )
    annual_review_decide(
        review_id=review.pk, actor=world.center, passed=True, note="合格", now=at(date(2027, 3, 3))
    )

    with pytest.raises(Conflict):
        annual_review_decide(
            review_id=review.pk,
            actor=world.center,
            passed=False,
            note="不合格",
            now=at(date(2027, 3, 4)),
        )

    review.refresh_from_db()
    assert (review.state, review.decision_note) == (R.PASSED, "合格")
    assert Certificate.objects.get().status == C.VALID


def test_annual_review_failed_on_a_certificate_no_longer_in_force_changes_nothing(world):
    review = submitted_review(world)
    Certificate.objects.filter(pk=review.certificate_id).update(status=C.EXPIRED)

    with pytest.raises(Conflict):
        annual_review_decide(
            review_id=review.pk,
            actor=world.center,
            passed=False,
            note="不合格",
            now=at(date(2027, 3, 20)),
        )

    assert AnnualReview.objects.get(pk=review.pk).state == R.SUBMITTED
    assert CertificateDecision.objects.count() == 0
    assert not AuditEntry.objects.filter(action="certificate.annual_review_decide").exists()


# ---- overdue


def test_annual_review_unsubmitted_past_the_deadline_revokes_the_certificate(world):
    review = due_review(world)
    assert review.deadline == date(2027, 5, 9)

    assert run_due_jobs(now=at(date(2027, 5, 9), 23, 59))["revoke_overdue_annual_reviews"] == 0
    now = at(date(2027, 5, 10))
    assert run_due_jobs(now=now)["revoke_overdue_annual_reviews"] == 1

    assert AnnualReview.objects.get(pk=review.pk).state == R.OVERDUE
    certificate = Certificate.objects.get(pk=review.certificate_id)
    assert (certificate.status, certificate.status_changed_at) == (C.REVOKED, now)
    decision = CertificateDecision.objects.get()
    assert (decision.kind, decision.reason, decision.decided_by, decision.decided_at) == (
        DecisionKind.REVOKE,
        DecisionReason.ANNUAL_REVIEW_MISSED,
        None,
        now,
    )
    entry = AuditEntry.objects.get(action="certificate.revoke")
    assert (entry.actor_name, entry.object_id, entry.data) == (
        "system",
        str(certificate.pk),
        {
            "number": certificate.number,
            "from": "valid",
            "to": "revoked",
            "grounds": "annual_review_missed",
        },
    )
    # The institution is told, so that it relays the notice to the holder (M§20).
    assert notified("certificate.decision_to_relay") == [
        ("inst-a", {"certificate": certificate.number, "decision": "revoke"})
    ]
    assert audit_chain_verify() is None


def test_annual_review_overdue_job_is_idempotent(world):
    due_review(world)
    run_due_jobs(now=at(date(2027, 5, 10)))

    for later in (at(date(2027, 5, 10), 12), at(date(2027, 9, 1))):
        assert run_due_jobs(now=later)["revoke_overdue_annual_reviews"] == 0

    assert CertificateDecision.objects.count() == 1
    assert AuditEntry.objects.filter(action="certificate.revoke").count() == 1
    assert Notification.objects.filter(key="certificate.decision_to_relay").count() == 1


def test_annual_review_submitted_in_time_is_never_overdue(world):
    review = submitted_review(world)

    run_due_jobs(now=at(date(2027, 8, 1)))

    assert AnnualReview.objects.get(pk=review.pk).state == R.SUBMITTED
    assert Certificate.objects.get().status == C.VALID


def test_annual_review_overdue_revokes_a_suspended_certificate_too(world):
    review = due_review(world)
    Certificate.objects.filter(pk=review.certificate_id).update(status=C.SUSPENDED)

    run_due_jobs(now=at(date(2027, 5, 10)))

    assert Certificate.objects.get().status == C.REVOKED
    assert AuditEntry.objects.get(action="certificate.revoke").data["from"] == "suspended"


def test_annual_review_overdue_on_an_expired_certificate_changes_only_the_review(world):
    review = due_review(world)
    Certificate.objects.filter(pk=review.certificate_id).update(status=C.EXPIRED)

    assert annual_reviews_mark_overdue(now=at(date(2027, 5, 10))) == 1

    assert AnnualReview.objects.get(pk=review.pk).state == R.OVERDUE
    assert Certificate.objects.get().status == C.EXPIRED
    assert CertificateDecision.objects.count() == 0


# ---- set-based: the cost of the jobs does not grow with the number of certificates


def holders_with_certificates(world, count, issued_on):
    certificates = []
    for _ in range(count):
        org = OrganizationFactory()
        UserFactory(organization=org)
        UserFactory(organization=org)
        certificates.append(certificate_of(world, org, issued_on=issued_on))
    return certificates


def queries(job, now):
    with CaptureQueriesContext(connection) as ctx:
        done = job(now=now)
    return done, len(ctx.captured_queries)


def test_annual_review_jobs_run_the_same_queries_for_two_or_six_certificates(world):
    # A first certificate goes through both jobs, so that every measured run finds the audit
    # chain already started.
    holders_with_certificates(world, 1, date(2026, 1, 10))
    run_due_jobs(now=at(date(2026, 12, 11)))
    run_due_jobs(now=at(date(2027, 3, 12)))
    few = holders_with_certificates(world, 2, date(2026, 3, 10))
    many = holders_with_certificates(world, 6, date(2026, 4, 10))

    opened_few = queries(annual_reviews_open_due, at(date(2027, 2, 8)))
    opened_many = queries(annual_reviews_open_due, at(date(2027, 3, 11)))
    assert (opened_few[0], opened_many[0]) == (2, 6)
    assert opened_few[1] == opened_many[1]
    assert Notification.objects.filter(key="certificate.annual_review_due").count() == 2 + 16

    overdue_few = queries(annual_reviews_mark_overdue, at(date(2027, 5, 10)))
    overdue_many = queries(annual_reviews_mark_overdue, at(date(2027, 6, 10)))
    assert (overdue_few[0], overdue_many[0]) == (2, 6)
    assert overdue_few[1] == overdue_many[1]
    assert set(Certificate.objects.values_list("status", flat=True)) == {C.REVOKED}
    assert CertificateDecision.objects.count() == 1 + len(few) + len(many) == 9
    assert Notification.objects.filter(key="certificate.decision_to_relay").count() == 9


def test_annual_review_job_skips_a_review_another_run_opened_after_its_snapshot(world, monkeypatch):
    """Issue #8: a batch's rows are locked by a query whose snapshot may predate another run's
    commit (locking a row that run only locked does not re-check the condition). The job asks
    again under the lock; without that, the review would be written twice (unique violation)."""
    from certificates import services

    first, second = certificate_of(world), certificate_of(world, world.other_org)
    locked_rows = services._locked_rows

    def behind_another_run(queryset, fields, ids):
        rows = locked_rows(queryset, fields, ids)
        # the other run opened the first certificate's review and committed meanwhile
        AnnualReview.objects.create(
            certificate_id=rows[0][0],
            year=1,
            due_on=date(2027, 3, 10),
            deadline=date(2027, 5, 9),
        )
        return rows

    monkeypatch.setattr(services, "_locked_rows", behind_another_run)

    assert annual_reviews_open_due(now=at(date(2027, 2, 8))) == 1

    assert sorted(AnnualReview.objects.values_list("certificate_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert AuditEntry.objects.filter(action="certificate.annual_review_due").count() == 1
