"""A real Celery worker on the Redis broker runs the project's tasks (issue 2).

The worker runs in a thread of the test process (celery.contrib.testing), so it shares the
test database (committed data: transactional tests) and the locmem e-mail outbox. Tasks ignore
their results (CELERY_TASK_IGNORE_RESULT), so each test waits for the task's effect in the
database, for at most DEADLINE seconds.
"""

import time
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connections

from applications.enums import ApplicationState as S
from certificates.models import Certificate
from ietsportal.notifications.models import Notification

from .conftest import REDIS_URL, needs_redis

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]

DEADLINE = 20.0


def wait_for(predicate, what: str):
    """Poll `predicate` until it is true; fail with `what` after DEADLINE seconds."""
    stop = time.monotonic() + DEADLINE
    while time.monotonic() < stop:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"the worker did not {what} within {DEADLINE:.0f} s")


@pytest.fixture
def celery_app():
    from ietsportal.celery import app

    assert app.conf.broker_url == REDIS_URL
    return app


@pytest.fixture
def worker(celery_app):
    """Start a worker on the project's app; returns a context manager so each test decides
    what exists before the worker consumes anything."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    def close_worker_connections(**kwargs):
        # Runs in the worker thread: leave no connection to the test database behind.
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)

    def start():
        return start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10)

    yield start
    task_postrun.disconnect(close_worker_connections)


def test_run_due_jobs_task_issues_the_certificate_after_publicity(flow, worker, celery_app):
    app = flow.to(flow.draft(), S.PUBLICITY)
    assert Certificate.objects.filter(application=app).count() == 0
    from ietsportal.tasks import run_due_jobs

    celery_app.control.purge()  # earlier tests' notification tasks are not this test's concern
    with worker():
        run_due_jobs.delay(at=(app.publicity_ends_at + timedelta(seconds=1)).isoformat())
        wait_for(
            lambda: Certificate.objects.filter(application=app).exists(), "issue the certificate"
        )

    app.refresh_from_db()
    assert app.state == S.ISSUED
    certificate = Certificate.objects.get(application=app)
    assert (certificate.grade, certificate.status) == ("IETS-3", "valid")
    assert certificate.issued_on == date(2026, 3, 9)  # T0 + 7 days, in Asia/Shanghai


def test_transition_notification_email_is_sent_by_the_worker_after_commit(
    flow, world, worker, celery_app
):
    draft = flow.draft()
    celery_app.control.purge()
    mail.outbox.clear()
    app = flow.fire(draft, "submit", world.applicant)  # commits; on_commit enqueues the task
    notification = Notification.objects.get(
        recipient=world.inst_admin, key="application.transition"
    )
    # Before the worker runs, the mail is queued, not sent by the request itself.
    assert (notification.email_sent_at, mail.outbox) == (None, [])
    with worker():
        wait_for(
            lambda: Notification.objects.filter(
                pk=notification.pk, email_sent_at__isnull=False
            ).exists(),
            "send the notification e-mail",
        )

    assert [m.to for m in mail.outbox] == [[world.inst_admin.email]]
    assert app.number in mail.outbox[0].subject
    assert f"/applications/{app.pk}/" in mail.outbox[0].body
