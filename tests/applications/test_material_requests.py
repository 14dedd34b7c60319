"""补正: evidence per criterion; the institution asks for more material with a message, the
criteria concerned and a deadline; the applicant answers with a message and files and
resubmits; the exchange is kept and shown; an overdue request is flagged and notified once."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Evidence, MaterialRequest
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import InvalidInput, NotPermitted
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification

from ..conftest import T0, pdf_upload
from .test_workflow import refused


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def ask(flow, world, app, now=T0 + timedelta(hours=1), **data):
    data = {"reason": "请补充近三年审计报告。", "criteria": ["B2", "O1"], **data}
    return flow.fire(app, "return_to_applicant", world.inst_admin, now, **data)


def test_evidence_can_be_tied_to_a_criterion(flow, world):
    app = flow.draft(evidence=False)

    evidence = services.evidence_add(
        application=app, actor=world.applicant, upload=pdf_upload(), criterion="B2", now=T0
    )

    assert (evidence.criterion.code, evidence.criterion.rubric.version) == ("B2", 1)
    assert AuditEntry.objects.order_by("-seq").first().data["criterion"] == "B2"


def test_evidence_for_an_unknown_criterion_is_refused_and_nothing_stored(flow, world):
    app = flow.draft(evidence=False)

    with pytest.raises(InvalidInput) as exc:
        services.evidence_add(
            application=app, actor=world.applicant, upload=pdf_upload(), criterion="Z9", now=T0
        )

    assert (exc.value.field, exc.value.message) == (
        "criterion",
        "Unknown criteria for this rubric: Z9.",
    )
    assert not Evidence.objects.filter(application=app).exists()


def test_a_request_records_message_criteria_and_deadline_and_the_answer_closes_it(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)
    asked_at = T0 + timedelta(days=1)

    ask(flow, world, app, asked_at, deadline="2026-03-20")

    request = MaterialRequest.objects.get(application=app)
    assert (request.message, request.deadline, request.requested_by, request.requested_at) == (
        "请补充近三年审计报告。",
        date(2026, 3, 20),
        world.inst_admin,
        asked_at,
    )
    assert sorted(c.code for c in request.criteria.all()) == ["B2", "O1"]
    answered_at = T0 + timedelta(days=3)
    services.evidence_add(
        application=app,
        actor=world.applicant,
        upload=pdf_upload("审计报告.pdf"),
        criterion="B2",
        now=answered_at,
    )
    flow.fire(app, "resubmit", world.applicant, answered_at, note="已补充审计报告。")

    request.refresh_from_db()
    app.refresh_from_db()
    assert app.state == S.SUBMITTED
    assert (request.answer, request.answered_by, request.answered_at) == (
        "已补充审计报告。",
        world.applicant,
        answered_at,
    )
    assert [f.original_name for f in request.files.all()] == ["审计报告.pdf"]
    # A second round is a second request; both are kept.
    app = flow.to(app, S.DOCUMENT_REVIEW, now=answered_at)
    ask(flow, world, app, answered_at + timedelta(days=1), reason="请补充社保证明。", criteria=[])
    assert list(app.material_requests.values_list("message", flat=True)) == [
        "请补充近三年审计报告。",
        "请补充社保证明。",
    ]


def test_accepting_again_keeps_the_rubric_of_the_first_acceptance(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)
    first = app.rubric
    ask(flow, world, app)
    flow.fire(app, "resubmit", world.applicant, T0 + timedelta(hours=2), note="已补充。")
    from rubrics import services as rubric_services

    draft = rubric_services.rubric_draft_create(actor=world.center, kind="grade", now=T0)
    rubric_services.rubric_publish(actor=world.center, rubric_id=draft.pk, now=T0)

    app = flow.to(app, S.DOCUMENT_REVIEW, now=T0 + timedelta(hours=3))

    assert app.rubric == first


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": " "}, "reason", "Reason is required."),
        ({"criteria": ["B2", "X1"]}, "criteria", "Unknown criteria for this rubric: X1."),
        ({"deadline": "2026-03-02"}, "deadline", "The deadline must be after today."),
        ({"deadline": "2027-03-02"}, "deadline", "The deadline can be at most 180 days away."),
        ({"deadline": "3 月 20 日"}, "deadline", "Deadline must be a date (YYYY-MM-DD)."),
    ],
)
def test_a_bad_request_is_refused_and_nothing_stored(flow, world, data, field, message):
    app = flow.to(flow.draft(), S.SUBMITTED)

    error = refused(
        flow,
        app,
        "return_to_applicant",
        world.inst_admin,
        InvalidInput,
        now=T0 + timedelta(hours=1),
        **{"reason": "请补充。", **data},
    )

    assert (error.field, error.message) == (field, message)
    assert not MaterialRequest.objects.exists()


def test_only_the_admin_or_the_lead_assessor_may_ask(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)  # lead a-assessor1, with a-assessor2

    refused(flow, app, "return_to_applicant", world.assessors[1], NotPermitted, reason="请补充。")
    flow.fire(app, "return_to_applicant", world.assessors[0], reason="请补充。")

    assert MaterialRequest.objects.get(application=app).requested_by == world.assessors[0]


def test_resubmitting_needs_an_answer_or_files(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    ask(flow, world, app)

    error = refused(flow, app, "resubmit", world.applicant, InvalidInput, note=" ")

    assert (error.field, error.message) == (
        "note",
        "Answer the request: write a message or add the files asked for.",
    )


def test_the_exchange_is_shown_on_the_page_with_an_overdue_flag(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    ask(flow, world, app, deadline="2026-03-10")  # long past today
    client = Client()
    client.force_login(world.applicant)
    client.cookies["django_language"] = "en"

    page = client.get(f"/applications/{app.pk}/").content.decode()

    assert "Requests for more material" in page
    assert "请补充近三年审计报告。" in page
    assert "overdue" in page
    assert '<span class="badge">B2</span>' in page


def test_an_overdue_request_is_notified_once_with_queries_independent_of_rows(flow, world):
    apps = [flow.to(flow.draft(), S.SUBMITTED) for _ in range(3)]
    for app in apps[:2]:
        ask(flow, world, app, deadline="2026-03-05")
    ask(flow, world, apps[2], deadline="2026-03-30")  # not yet due
    answered = flow.to(flow.draft(), S.SUBMITTED)
    ask(flow, world, answered, deadline="2026-03-05")
    flow.fire(answered, "resubmit", world.applicant, T0 + timedelta(hours=2), note="已补充。")
    at = T0 + timedelta(days=4)  # 2026-03-06

    with CaptureQueriesContext(connection) as two:
        assert services.material_requests_notify_overdue(now=at) == 2
    assert services.material_requests_notify_overdue(now=at) == 0  # idempotent
    assert run_due_jobs(now=at)["material_requests_overdue"] == 0

    flagged = MaterialRequest.objects.filter(overdue_notified_at=at)
    assert sorted(r.application_id for r in flagged) == sorted(a.pk for a in apps[:2])
    notes = Notification.objects.filter(key="application.material_overdue")
    assert sorted((n.recipient.username, n.params["number"]) for n in notes) == sorted(
        (who, a.number) for a in apps[:2] for who in ("applicant", "inst-a")
    )
    # One more overdue request costs no more queries.
    later = flow.to(flow.draft(), S.SUBMITTED)
    ask(flow, world, later, deadline="2026-03-05")
    ask_more = flow.to(flow.draft(), S.SUBMITTED)
    ask(flow, world, ask_more, deadline="2026-03-05")
    with CaptureQueriesContext(connection) as again:
        assert services.material_requests_notify_overdue(now=at) == 2
    assert len(again) == len(two)


def test_the_pages_ask_for_material_by_criteria_and_take_an_answer_file_for_a_criterion(
    flow, world
):
    app = flow.to(flow.draft(), S.SUBMITTED)
    admin = Client()
    admin.force_login(world.inst_admin)
    page = admin.get(f"/applications/{app.pk}/").content.decode()
    assert 'name="criteria" value="B2"' in page

    response = admin.post(
        f"/applications/{app.pk}/transitions/return_to_applicant/",
        {"reason": "请补充财务报告。", "criteria": ["B2", "B3"], "deadline": "2026-12-31"},
    )
    assert response.status_code == 302
    request = MaterialRequest.objects.get(application=app)
    assert sorted(c.code for c in request.criteria.all()) == ["B2", "B3"]

    applicant = Client()
    applicant.force_login(world.applicant)
    response = applicant.post(
        f"/applications/{app.pk}/evidence/",
        {"file": pdf_upload("财务报告.pdf"), "description": "2025 年审计报告", "criterion": "B2"},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(application=app, original_name="财务报告.pdf")
    assert (evidence.criterion.code, evidence.material_request) == ("B2", request)
    response = applicant.post(
        f"/applications/{app.pk}/evidence/", {"file": pdf_upload(), "criterion": "Q7"}
    )
    assert response.status_code == 400
    assert Evidence.objects.filter(application=app).count() == 2
