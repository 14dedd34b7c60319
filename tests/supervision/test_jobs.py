"""Scheduled jobs of supervision: overdue case reminders, stale export jobs."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.enums import ApplicationState as S
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification
from supervision import services
from supervision.models import ExportJob
from supervision.services_exports import exports_requeue_stale

from ..conftest import T0


def file(world, app, now=T0):
    case, _ = services.case_file(
        actor=world.applicant,
        kind="complaint",
        subject_kind="application",
        reference=app.number,
        summary="s",
        details="d",
        now=now,
    )
    return case


def overdue_notes():
    return sorted(
        Notification.objects.filter(key="case.overdue").values_list(
            "recipient__username", "params__case"
        )
    )


def test_overdue_cases_remind_their_owner_once(world, flow):
    app = flow.to(flow.draft(), S.SUBMITTED, now=T0)
    taken, untaken = file(world, app), file(world, app)
    decided = file(world, app)
    services.case_start(case_id=taken.pk, actor=world.center, now=T0)
    services.case_start(case_id=decided.pk, actor=world.center, now=T0)
    services.case_decide(case_id=decided.pk, actor=world.center, upheld=False, reply="否", now=T0)
    assert run_due_jobs(now=T0 + timedelta(days=30))["remind_overdue_cases"] == 0
    assert run_due_jobs(now=T0 + timedelta(days=31))["remind_overdue_cases"] == 2
    assert run_due_jobs(now=T0 + timedelta(days=32))["remind_overdue_cases"] == 0
    assert overdue_notes() == [("center", taken.number), ("center", untaken.number)]


def test_overdue_reminders_are_set_based(world, flow):
    app = flow.to(flow.draft(), S.SUBMITTED, now=T0)
    file(world, app)
    with CaptureQueriesContext(connection) as one:
        assert services.cases_remind_overdue(now=T0 + timedelta(days=40)) == 1
    for _ in range(5):
        file(world, app, now=T0 + timedelta(days=1))
    with CaptureQueriesContext(connection) as five:
        assert services.cases_remind_overdue(now=T0 + timedelta(days=40)) == 5
    assert len(five) == len(one)


def test_stale_export_jobs_are_sent_again(world):
    fresh = ExportJob.objects.create(
        created_by=world.center, dataset="cases", fmt="csv", created_at=T0
    )
    assert exports_requeue_stale(now=T0 + timedelta(minutes=5)) == 0
    assert exports_requeue_stale(now=T0 + timedelta(minutes=11)) == 1
    fresh.state = "done"
    fresh.save()
    assert exports_requeue_stale(now=T0 + timedelta(minutes=11)) == 0


def test_old_export_files_are_purged(world, flow, settings):
    from supervision.services_exports import export_job_create, export_job_run

    flow.to(flow.draft(), S.SUBMITTED, now=T0)
    job = export_job_create(
        actor=world.center, name="applications", fmt="csv", params={}, total=1, now=T0
    )
    export_job_run(job_id=job.pk, now=T0)
    job.refresh_from_db()
    path = settings.MEDIA_ROOT / job.file.name
    assert path.is_file()
    assert run_due_jobs(now=T0 + timedelta(days=6))["purge_old_exports"] == 0
    assert run_due_jobs(now=T0 + timedelta(days=8))["purge_old_exports"] == 1
    assert (path.exists(), ExportJob.objects.count()) == (False, 0)
