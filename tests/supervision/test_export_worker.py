"""A real Celery worker on the Redis broker writes a long export; the page's status URL
reports it done and the creator downloads it."""

import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from supervision.models import ExportJob

from ..conftest import T0, needs_redis
from ..test_celery_worker import celery_app, wait_for, worker  # noqa: F401 — fixtures

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]


def test_long_export_is_written_by_the_worker(world, flow, worker, celery_app, settings):  # noqa: F811
    settings.EXPORT_ASYNC_THRESHOLD = 1
    for applicant in (world.applicant, world.other_applicant):
        flow.to(flow.draft(applicant), S.ISSUED, now=T0)
    client = APIClient()
    client.force_login(world.center)
    celery_app.control.purge()
    with worker():
        response = client.get("/supervision/exports/certificates.csv?grade=IETS-3")
        job = ExportJob.objects.get()
        assert response["Location"] == f"/supervision/exports/jobs/{job.pk}/"
        wait_for(
            lambda: ExportJob.objects.filter(pk=job.pk, state="done").exists(),
            "write the export",
        )
    status = client.get(f"/supervision/exports/jobs/{job.pk}/status/").json()
    assert (status["state"], status["progress"], status["rows"]) == ("done", 100, 2)
    download = client.get(status["download_url"])
    lines = b"".join(download.streaming_content).decode("utf-8").splitlines()
    assert len(lines) == 3
