"""R§12: at least 3 evaluations a year per assessor, from actual assignments."""

from datetime import UTC, datetime, timedelta

from applications.enums import ApplicationState as S
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification
from institutions import services
from institutions.models import Assessor
from institutions.selectors import participation_report

from ..conftest import T0


def _evaluations(flow, world, n):
    """`n` applications accepted by the national institution with assessors 1 and 2."""
    for i in range(n):
        flow.to(
            flow.draft(now=T0 + timedelta(days=i)), S.DOCUMENT_REVIEW, now=T0 + timedelta(days=i)
        )


def test_participation_counts_actual_assignments(world, flow):
    _evaluations(flow, world, 3)
    rows = {a.user.username: a.evaluations for a in participation_report(year=2026)}
    assert (rows["a-assessor1"], rows["a-assessor2"], rows["a-assessor3"]) == (3, 3, 0)
    assert {a.user.username: a.evaluations for a in participation_report(year=2025)}[
        "a-assessor1"
    ] == 0


def test_participation_warning_from_october_once(world, flow):
    _evaluations(flow, world, 3)
    september = datetime(2026, 9, 30, 12, tzinfo=UTC)
    assert services.assessors_participation_check(now=september) == 0
    october = datetime(2026, 10, 1, 12, tzinfo=UTC)
    registered = Assessor.objects.filter(state="registered").count()
    assert run_due_jobs(now=october)["check_assessor_participation"] == registered - 2
    assert run_due_jobs(now=october + timedelta(days=1))["check_assessor_participation"] == 0
    warned = Notification.objects.filter(key="assessor.participation_warning")
    assert set(warned.values_list("recipient__username", flat=True)) >= {
        "a-assessor3",
        "inst-a",
    }
    assert not warned.filter(recipient__username="a-assessor1").exists()


def test_participation_year_end_flags_to_the_center(world, flow):
    Assessor.objects.update(registered_at=datetime(2025, 6, 1, tzinfo=UTC))
    _evaluations(flow, world, 3)
    Assessor.objects.filter(user__username="a-assessor3").update(
        registered_at=datetime(2025, 6, 1, tzinfo=UTC)
    )
    january = datetime(2027, 1, 2, tzinfo=UTC)
    flagged = services.assessors_participation_check(now=january)
    short = set(
        Assessor.objects.filter(participation_short_year=2026).values_list(
            "user__username", flat=True
        )
    )
    assert "a-assessor3" in short and "a-assessor1" not in short
    assert flagged == len(short) + Assessor.objects.filter(participation_warned_year=2027).count()
    assert Notification.objects.filter(
        key="assessor.participation_short", recipient__username="center"
    ).count() == len(short)
    assert services.assessors_participation_check(now=january + timedelta(days=1)) == 0


def test_participation_page_center_and_institution(world, flow, client):
    _evaluations(flow, world, 1)
    client.force_login(world.inst_admin)
    page = client.get("/institutions/participation/?year=2026").content.decode()
    assert page.count("<tr>") == 1 + 15  # header + the institution's own roster
    client.force_login(world.center)
    page = client.get("/institutions/participation/?year=2026").content.decode()
    assert page.count("<tr>") == 1 + 15 + 15 + 10
    client.force_login(world.applicant)
    assert client.get("/institutions/participation/").status_code == 404
