"""R§8: continuous staffing; below the bar an institution accepts no new application."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.enums import ApplicationState as S
from ietsportal.errors import Conflict, InvalidInput
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification
from institutions import services
from institutions.models import Assessor, Institution
from institutions.selectors import staffing_of

from ..conftest import T0
from ..factories import InstitutionFactory, staff_to_bar


def _drop_one(world, now=T0):
    """Release one registered assessor of the national institution: 14 of 15."""
    victim = Assessor.objects.filter(
        institution=world.inst, user__username__startswith="roster"
    ).first()
    services.assessor_remove(
        assessor_id=victim.pk, actor=world.inst_admin, explanation="离职。", now=now
    )
    return victim


def test_world_institutions_meet_the_bar(world):
    assert services.institutions_staffing_check(now=T0) == 0
    assert [
        (i.name, staffing_of(i).meets, i.is_accepting) for i in Institution.objects.order_by("pk")
    ] == [
        ("全国评价机构甲", True, True),
        ("全国评价机构乙", True, True),
        ("广东地方评价机构", True, True),
    ]


def test_roster_change_below_the_bar_flags_and_blocks_acceptance(world, flow):
    app = flow.to(flow.draft(), S.SUBMITTED)
    _drop_one(world, now=T0 + timedelta(hours=1))
    world.inst.refresh_from_db()
    assert world.inst.staffing_short_since == T0 + timedelta(hours=1)
    assert world.inst.is_accepting is False
    assert sorted(
        Notification.objects.filter(key="institution.staffing_short").values_list(
            "recipient__username", flat=True
        )
    ) == ["center", "inst-a"]
    with pytest.raises(Conflict) as exc:
        flow.fire(
            app,
            "accept",
            world.inst_admin,
            lead_assessor=world.assessors[0].username,
            assessors=[world.assessors[1].username],
        )
    assert "R§8" in str(exc.value.message)  # the staffing bar, not a suspension
    # New drafts cannot be addressed to it either (M§10 choice lists accepting ones only).
    with pytest.raises(InvalidInput):
        flow.draft(world.other_applicant)
    # Recovery: a new registered assessor clears the flag.
    from .conftest import nominate

    nominee = nominate(world.inst_admin, now=T0 + timedelta(hours=2))
    services.assessor_register(
        assessor_id=nominee.pk, actor=world.center, now=T0 + timedelta(hours=2)
    )
    world.inst.refresh_from_db()
    assert (world.inst.staffing_short_since, world.inst.is_accepting) == (None, True)
    app = flow.fire(
        app,
        "accept",
        world.inst_admin,
        now=T0 + timedelta(hours=3),
        lead_assessor=world.assessors[0].username,
        assessors=[world.assessors[1].username],
    )
    assert app.state == S.DOCUMENT_REVIEW


def test_work_in_progress_continues_when_below_the_bar(world, flow):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)
    _drop_one(world)
    app = flow.to(app, S.REPORTED)
    assert app.state == S.REPORTED


def test_full_time_share_counts(world):
    # 15 registered but only 7 full-time: below the bar (R§8(1): ≥8 full-time).
    rows = list(Assessor.objects.filter(institution=world.inst).order_by("pk")[:8])
    Assessor.objects.filter(pk__in=[a.pk for a in rows]).update(full_time=False)
    assert services.institutions_staffing_check(now=T0) == 1
    world.inst.refresh_from_db()
    s = staffing_of(world.inst)
    assert (s.assessors, s.full_time, s.lacking_full_time, world.inst.is_accepting) == (
        15,
        7,
        1,
        False,
    )


def test_daily_job_is_idempotent_and_set_based(world):
    Assessor.objects.filter(institution=world.inst).update(state="suspended")
    assert run_due_jobs(now=T0)["check_institution_staffing"] == 1
    assert run_due_jobs(now=T0 + timedelta(days=1))["check_institution_staffing"] == 0
    assert Notification.objects.filter(key="institution.staffing_short").count() == 2

    def check(day, changed):
        with CaptureQueriesContext(connection) as ctx:
            assert services.institutions_staffing_check(now=T0 + timedelta(days=day)) == changed
        return len(ctx.captured_queries)

    Assessor.objects.filter(institution=world.inst).update(state="registered")
    one = check(2, 1)  # one recovers
    for _ in range(3):
        staff_to_bar(InstitutionFactory())
        InstitutionFactory(local=True)  # empty: flagged
    flagged = check(3, 3)
    for inst in Institution.objects.filter(staffing_short_since__isnull=False):
        staff_to_bar(inst)
    assert check(4, 3) == one  # three recover: as many queries as one
    assert flagged == one
    assert check(5, 0) < one


def test_manage_page_shows_what_the_institution_lacks(world, client):
    _drop_one(world)
    client.force_login(world.inst_admin)
    page = client.get(f"/institutions/{world.inst.pk}/manage/").content.decode()
    assert "14 registered assessors of the 15 required" in page.replace("\n", " ") or (
        "14" in page and "15" in page
    )
    assert "1 more registered assessor is needed." in page
