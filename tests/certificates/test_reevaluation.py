"""Re-evaluation (M§16): a holder may file it only in the 3 months before its certificate
expires, one at a time; it runs the whole pipeline and the new certificate (new validity)
replaces the old one. Reminders go out once when the window opens and once 30 days before it
closes (unless a re-evaluation was filed)."""

from datetime import date, timedelta
from functools import partial

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services as app_services
from applications.enums import ApplicationState as S
from applications.models import Application
from certificates.enums import CertificateStatus as C
from certificates.models import Certificate
from certificates.services import reevaluation_reminders, reevaluation_window
from certificates.signing import certificate_facts, sign_facts
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification
from tests.conftest import pdf_upload
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers import beijing as at
from tests.helpers import issued_certificate

ISSUED_ON = date(2026, 3, 10)  # expires 2029-03-10; the window is 2028-12-10 – 2029-03-10


certificate_of = partial(issued_certificate, issued_on=ISSUED_ON)


def reevaluate(world, certificate, now, applicant=None, kind="grade"):
    return app_services.application_create(
        actor=applicant or world.applicant,
        institution_id=world.inst.pk,
        kind=kind,
        requested_grade="IETS-3" if kind == "grade" else "",
        declares_independent_legal_person=True,
        declares_no_violations=True,
        previous_certificate=certificate.number,
        now=now,
    )


# ---- the window


def test_reevaluation_window_is_the_three_months_before_expiry(world):
    certificate = certificate_of(world)

    assert reevaluation_window(certificate) == (date(2028, 12, 10), date(2029, 3, 10))


@pytest.mark.parametrize(
    "now",
    [
        at(date(2028, 12, 9), 23, 59),  # the day before the window opens
        at(date(2027, 3, 10), 12),  # long before
        at(date(2029, 3, 11)),  # expired, though the expiry job has not run yet
    ],
)
def test_reevaluation_outside_the_window_is_refused_with_the_window_dates(world, now):
    certificate = certificate_of(world)

    with pytest.raises(Conflict) as exc:
        reevaluate(world, certificate, now)

    assert (exc.value.status_code, exc.value.field) == (409, "previous_certificate")
    assert "2028-12-10" in str(exc.value.message)
    assert "2029-03-10" in str(exc.value.message)
    assert Application.objects.exclude(state=S.ISSUED).count() == 0
    assert not AuditEntry.objects.filter(action="application.create").exists()


@pytest.mark.parametrize("now", [at(date(2028, 12, 10)), at(date(2029, 3, 10), 23, 59)])
def test_reevaluation_inside_the_window_starts_a_draft(world, now):
    certificate = certificate_of(world)

    app = reevaluate(world, certificate, now)

    app.refresh_from_db()
    assert (app.state, app.previous_certificate, app.organization) == (
        S.DRAFT,
        certificate,
        world.org,
    )
    assert list(certificate.reevaluations.all()) == [app]
    entry = AuditEntry.objects.get(action="application.create")
    assert entry.data["previous_certificate"] == certificate.number


def test_reevaluation_of_someone_elses_certificate_is_refused(world):
    theirs = certificate_of(world, world.other_org)

    with pytest.raises(InvalidInput) as exc:
        reevaluate(world, theirs, at(date(2028, 12, 20)))

    assert (exc.value.status_code, exc.value.field) == (400, "previous_certificate")
    assert Application.objects.filter(previous_certificate__isnull=False).count() == 0


def test_reevaluation_of_an_unknown_number_is_refused(world):
    with pytest.raises(InvalidInput) as exc:
        app_services.application_create(
            actor=world.applicant,
            institution_id=world.inst.pk,
            kind="grade",
            requested_grade="IETS-3",
            previous_certificate="IETS-2026-000000",
            now=at(date(2028, 12, 20)),
        )

    assert exc.value.field == "previous_certificate"


def test_reevaluation_of_another_kind_is_refused(world):
    certificate = certificate_of(world, kind="innovation")

    with pytest.raises(InvalidInput) as exc:
        reevaluate(world, certificate, at(date(2028, 12, 20)))

    assert exc.value.field == "kind"


@pytest.mark.parametrize("status", [C.SUSPENDED, C.REVOKED, C.EXPIRED, C.REPLACED])
def test_reevaluation_of_a_certificate_not_in_force_is_a_conflict(world, status):
    certificate = certificate_of(world, status=status)

    with pytest.raises(Conflict):
        reevaluate(world, certificate, at(date(2028, 12, 20)))


def test_second_reevaluation_while_one_is_open_is_a_conflict(world):
    certificate = certificate_of(world)
    first = reevaluate(world, certificate, at(date(2028, 12, 20)))

    with pytest.raises(Conflict) as exc:
        reevaluate(world, certificate, at(date(2028, 12, 21)))

    assert exc.value.status_code == 409
    assert list(certificate.reevaluations.all()) == [first]

    # Once the first is withdrawn, the holder may start again.
    app_services.application_transition(
        application_id=first.pk,
        name="withdraw",
        actor=world.applicant,
        data={"reason": "重新准备材料。"},
        now=at(date(2028, 12, 22)),
    )
    second = reevaluate(world, certificate, at(date(2028, 12, 23)))
    assert sorted(certificate.reevaluations.values_list("pk", "state")) == [
        (first.pk, S.WITHDRAWN),
        (second.pk, S.DRAFT),
    ]


def test_reevaluation_through_the_api(world):
    today = timezone.localdate()
    early = certificate_of(world, issued_on=today - relativedelta(years=1))
    due = certificate_of(world, issued_on=today - relativedelta(years=3) + timedelta(days=30))
    client = APIClient()
    client.force_authenticate(world.applicant)
    body = {
        "institution": world.inst.pk,
        "kind": "grade",
        "requested_grade": "IETS-3",
        "declares_independent_legal_person": True,
        "declares_no_violations": True,
    }

    refused = client.post(
        "/api/v1/applications/", {**body, "previous_certificate": early.number}, format="json"
    )
    elsewhere = APIClient()
    elsewhere.force_authenticate(world.other_applicant)
    not_theirs = elsewhere.post(
        "/api/v1/applications/", {**body, "previous_certificate": due.number}, format="json"
    )
    accepted = client.post(
        "/api/v1/applications/", {**body, "previous_certificate": due.number}, format="json"
    )

    opens, closes = reevaluation_window(early)
    assert refused.status_code == 409
    assert refused.json()["field"] == "previous_certificate"
    assert opens.isoformat() in refused.json()["detail"]
    assert closes.isoformat() in refused.json()["detail"]
    assert (not_theirs.status_code, not_theirs.json()["field"]) == (400, "previous_certificate")
    assert accepted.status_code == 201
    assert (accepted.json()["state"], accepted.json()["previous_certificate"]) == (
        "draft",
        due.number,
    )
    again = client.post(
        "/api/v1/applications/", {**body, "previous_certificate": due.number}, format="json"
    )
    assert again.status_code == 409
    assert Application.objects.filter(previous_certificate__isnull=False).count() == 1


# ---- the whole pipeline replaces the old certificate


def test_reevaluation_issues_a_new_certificate_that_replaces_the_old_one(world, flow, client):
    old = certificate_of(world)
    old_token = sign_facts(certificate_facts(old))
    start = at(date(2028, 12, 15), 9)
    app = reevaluate(world, old, start)
    app_services.evidence_add(
        application=app, actor=world.applicant, upload=pdf_upload(), now=start
    )

    app = flow.to(app, S.ISSUED, now=start)

    issued_at = app.publicity_ends_at + timedelta(seconds=1)
    new = Certificate.objects.get(application=app)
    assert new.pk != old.pk
    assert (new.status, new.issued_on, new.expires_on, new.organization) == (
        C.VALID,
        date(2028, 12, 22),
        date(2031, 12, 22),
        world.org,
    )
    assert timezone.localdate(issued_at) == new.issued_on
    old.refresh_from_db()
    assert (old.status, old.status_changed_at, old.expires_on) == (
        C.REPLACED,
        issued_at,
        date(2029, 3, 10),
    )
    entry = AuditEntry.objects.get(action="certificate.replace")
    assert (entry.actor_name, entry.object_id, entry.data) == (
        "system",
        str(old.pk),
        {"from": "valid", "to": "replaced", "by_application": app.number},
    )
    assert entry.seq < AuditEntry.objects.get(action="certificate.issue").seq

    page = client.get(f"/verify/{old.number}/")
    assert page.status_code == 200
    assert page.context["certificate"].status == C.REPLACED
    assert 'class="verdict verdict-replaced"' in page.content.decode()
    assert [e["event"] for e in page.context["history"]] == ["replace"]
    presented = client.get(f"/verify/{old.number}/", {"t": old_token})
    assert presented.context["verification"].verdict == "replaced"
    assert client.get(f"/verify/{new.number}/").context["certificate"].status == C.VALID

    # The old one neither lapses nor gets reviewed any more.
    run_due_jobs(now=at(date(2029, 3, 11)))
    old.refresh_from_db()
    assert old.status == C.REPLACED


# ---- reminders


def reminders(key):
    return list(
        Notification.objects.filter(key=key)
        .order_by("id")
        .values_list("recipient__username", "params")
    )


def test_reevaluation_reminder_when_the_window_opens_is_sent_once(world):
    certificate = certificate_of(world)
    params = {"certificate": certificate.number, "expires_on": "2029-03-10"}

    assert reevaluation_reminders(now=at(date(2028, 12, 9), 23, 59)) == 0
    assert reevaluation_reminders(now=at(date(2028, 12, 10))) == 1
    for later in (at(date(2028, 12, 10), 12), at(date(2029, 1, 5))):
        assert run_due_jobs(now=later)["reevaluation_reminders"] == 0

    assert reminders("certificate.reevaluation_open") == [("applicant", params)]
    assert reminders("certificate.reevaluation_closing") == []
    certificate.refresh_from_db()
    assert (
        certificate.reevaluation_opened_notified,
        certificate.reevaluation_closing_notified,
    ) == (True, False)


def test_reevaluation_reminder_on_the_day_a_month_end_window_opens(world):
    # Expiring 31 May 2029, the window opens on 28 February: so does the reminder.
    certificate = certificate_of(world, issued_on=date(2026, 5, 31))
    assert reevaluation_window(certificate) == (date(2029, 2, 28), date(2029, 5, 31))

    assert reevaluation_reminders(now=at(date(2029, 2, 27), 23, 59)) == 0
    assert reevaluation_reminders(now=at(date(2029, 2, 28))) == 1

    assert reminders("certificate.reevaluation_open") == [
        ("applicant", {"certificate": certificate.number, "expires_on": "2029-05-31"})
    ]


def test_reevaluation_reminder_thirty_days_before_expiry_is_sent_once(world):
    certificate = certificate_of(world)
    reevaluation_reminders(now=at(date(2028, 12, 10)))

    assert reevaluation_reminders(now=at(date(2029, 2, 7), 23, 59)) == 0
    assert reevaluation_reminders(now=at(date(2029, 2, 8))) == 1
    assert reevaluation_reminders(now=at(date(2029, 2, 20))) == 0

    assert reminders("certificate.reevaluation_closing") == [
        ("applicant", {"certificate": certificate.number, "expires_on": "2029-03-10"})
    ]
    assert Notification.objects.filter(key__startswith="certificate.reevaluation").count() == 2


def test_reevaluation_reminder_before_the_close_skipped_when_a_reevaluation_exists(world):
    certificate = certificate_of(world)
    reevaluation_reminders(now=at(date(2028, 12, 10)))
    reevaluate(world, certificate, at(date(2028, 12, 11)))

    assert reevaluation_reminders(now=at(date(2029, 2, 8))) == 0

    assert reminders("certificate.reevaluation_closing") == []


def test_reevaluation_reminders_catch_up_in_one_run(world):
    certificate_of(world)

    assert run_due_jobs(now=at(date(2029, 2, 20)))["reevaluation_reminders"] == 2

    keys = Notification.objects.filter(key__startswith="certificate.reevaluation")
    assert list(keys.order_by("id").values_list("key", flat=True)) == [
        "certificate.reevaluation_open",
        "certificate.reevaluation_closing",
    ]


@pytest.mark.parametrize("status", [C.SUSPENDED, C.REVOKED, C.EXPIRED, C.REPLACED])
def test_reevaluation_reminders_not_sent_for_a_certificate_not_in_force(world, status):
    certificate_of(world, status=status)

    assert reevaluation_reminders(now=at(date(2029, 2, 20))) == 0
    assert Notification.objects.count() == 0


def test_reevaluation_reminders_run_the_same_queries_for_two_or_six_certificates(world):
    def holders(count, issued_on):
        for _ in range(count):
            org = OrganizationFactory()
            UserFactory(organization=org)
            UserFactory(organization=org)
            certificate_of(world, org, issued_on=issued_on)

    holders(2, date(2026, 3, 10))
    holders(6, date(2026, 4, 10))
    counts = []
    for now in (at(date(2028, 12, 10)), at(date(2029, 1, 10))):
        with CaptureQueriesContext(connection) as ctx:
            sent = reevaluation_reminders(now=now)
        counts.append((sent, len(ctx.captured_queries)))

    assert [sent for sent, _q in counts] == [2, 6]
    assert counts[0][1] == counts[1][1]
    assert Notification.objects.filter(key="certificate.reevaluation_open").count() == 16
