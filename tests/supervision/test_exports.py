"""Exports: constant memory and queries, formula neutralisation, empty filters, long jobs."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from ietsportal.csvsafe import neutralise
from supervision import services
from supervision.enums import ExportState
from supervision.exports import csv_lines
from supervision.models import ExportJob
from supervision.services_exports import export_job_run

from ..conftest import T0


def logged_in(user):
    client = APIClient()
    client.force_login(user)
    return client


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def submitted(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    return app


def file_cases(world, app, summaries):
    for summary in summaries:
        services.case_file(
            actor=world.applicant,
            kind="complaint",
            subject_kind="application",
            reference=app.number,
            summary=summary,
            details="d",
            now=T0 + timedelta(days=1),
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 10", "'+86 10"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("北京=甲", "北京=甲"),
        ("", ""),
        (-2, -2),
        (None, None),
    ],
)
def test_neutralise_prefixes_formula_starts(value, expected):
    assert neutralise(value) == expected


def test_csv_lines_neutralises_every_cell():
    lines = list(csv_lines(["=h"], [["=cmd|' /C calc'!A0"], ["ok"]]))
    assert lines == ["\ufeff'=h\r\n", "'=cmd|' /C calc'!A0\r\n", "ok\r\n"]


def test_export_csv_of_cases_neutralises_and_streams(world, submitted):
    file_cases(world, submitted, ['=HYPERLINK("http://x")', "普通投诉"])
    response = logged_in(world.center).get("/supervision/exports/cases.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    rows = body(response).splitlines()
    assert len(rows) == 3
    assert "'=HYPERLINK" in rows[1] and "普通投诉" in rows[2]


def test_export_xlsx_writes_text_never_formulas(world, submitted):
    file_cases(world, submitted, ["=1+1", "@x"])
    response = logged_in(world.center).get("/supervision/exports/cases.xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )
        names = z.namelist()
        strings = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
    assert "<f>" not in xml
    assert "'=1+1" in xml + strings and "'@x" in xml + strings


def test_export_with_a_filter_that_matches_nothing_is_the_header_only(world, submitted):
    file_cases(world, submitted, ["投诉"])
    client = logged_in(world.center)
    response = client.get("/supervision/exports/cases.csv?state=upheld")
    assert (response.status_code, response["X-Export-Rows"]) == (200, "0")
    lines = body(response).splitlines()
    assert (len(lines), lines[0].startswith("\ufeff"), lines[0].count(",")) == (1, True, 8)
    page = client.get("/supervision/lists/cases/?state=upheld", HTTP_ACCEPT_LANGUAGE="en")
    assert "No rows match this filter: an export holds only the header row." in (
        page.content.decode()
    )


def test_export_with_a_bad_filter_is_400(world):
    client = logged_in(world.center)
    assert client.get("/supervision/exports/cases.csv?state=nonsense").status_code == 400
    assert client.get("/supervision/exports/certificates.csv?expires_to=soon").status_code == 400
    assert client.get("/supervision/exports/nothing.csv").status_code == 404
    assert client.get("/supervision/lists/cases/?state=nonsense").status_code == 400


def test_export_rows_are_in_the_user_scope(world, flow):
    mine = flow.to(flow.draft(), S.ISSUED, now=T0)
    theirs = flow.to(flow.draft(world.other_applicant), S.ISSUED, now=T0)
    text = body(logged_in(world.applicant).get("/supervision/exports/applications.csv"))
    assert (mine.number in text, theirs.number in text) == (True, False)
    text = body(logged_in(world.center).get("/supervision/exports/certificates.csv?grade=IETS-3"))
    assert len(text.splitlines()) == 3


def test_export_query_count_is_constant_in_rows(world, submitted):
    client = logged_in(world.center)
    file_cases(world, submitted, ["a"])
    with CaptureQueriesContext(connection) as one:
        body(client.get("/supervision/exports/cases.csv"))
    file_cases(world, submitted, ["b"] * 7)
    with CaptureQueriesContext(connection) as eight:
        assert len(body(client.get("/supervision/exports/cases.csv")).splitlines()) == 9
    assert len(eight) == len(one)
    with CaptureQueriesContext(connection) as page_one:
        client.get("/supervision/lists/cases/")
    file_cases(world, submitted, ["c"] * 3)
    with CaptureQueriesContext(connection) as page_more:
        client.get("/supervision/lists/cases/")
    assert len(page_more) == len(page_one)


def test_long_export_runs_as_a_job_only_its_creator_sees(world, submitted, settings):
    settings.EXPORT_ASYNC_THRESHOLD = 2
    file_cases(world, submitted, ["a", "b", "c"])
    client = logged_in(world.center)
    response = client.get("/supervision/exports/cases.xlsx?kind=complaint")
    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/supervision/exports/jobs/{job.pk}/",
    )
    assert (job.state, job.total, job.filters, job.created_by) == (
        ExportState.QUEUED,
        3,
        {"kind": "complaint"},
        world.center,
    )
    page = client.get(f"/supervision/exports/jobs/{job.pk}/").content.decode()
    assert '<progress id="export-progress"' in page and "js/export-progress.js" in page
    assert client.get(f"/supervision/exports/jobs/{job.pk}/download/").status_code == 404
    export_job_run(job_id=job.pk, now=T0)
    export_job_run(job_id=job.pk, now=T0)  # idempotent
    status = client.get(f"/supervision/exports/jobs/{job.pk}/status/").json()
    assert (status["state"], status["progress"], status["download_url"]) == (
        "done",
        100,
        f"/supervision/exports/jobs/{job.pk}/download/",
    )
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(b"".join(download.streaming_content)))
    other = logged_in(world.applicant)
    for path in ("", "status/", "download/"):
        assert other.get(f"/supervision/exports/jobs/{job.pk}/{path}").status_code == 404


def test_export_filters_with_huge_numbers_are_400_not_500(world):
    client = logged_in(world.center)
    for url in (
        "/supervision/exports/cases.csv?older_than=99999999999999999999",
        "/supervision/exports/applications.csv?institution=99999999999999999999",
        "/supervision/lists/cases/?newer_than=9999999999",
        "/supervision/lists/cases/?newer_than=²",
        "/supervision/lists/applications/?institution=²",
    ):
        assert client.get(url).status_code == 400, url
