"""M§3, M§11, M§14(2): an application is scored against the rubric version current when it was
accepted, criterion by criterion with a comment each; area scores, total and the recommended
grade are computed; another grade only with a written reason."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from applications.enums import ApplicationState as S
from applications.models import Application, CriterionScore
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput
from rubrics import services as rubric_services
from rubrics.models import Criterion, Rubric

from ..helpers import GRADE_CODES, INNOVATION_CODES, REPORT, report
from .test_workflow import last_audit, refused


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_file_report_stores_criterion_scores_areas_total_and_the_computed_grade(flow, world, t0):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)
    lead = world.assessors[0]
    scores = {**REPORT["scores"], "B1": "10", "B2": "5", "B3": "0", "B4": "10"}
    now = t0 + timedelta(days=3)

    flow.fire(app, "file_report", lead, now, **{**REPORT, "scores": scores})

    app.refresh_from_db()
    assert app.state == S.REPORTED
    # Basic (5×1 + 8×0.5 + 7×0 + 5×1) / 25 = 56 %; the rest 75 %; total (14 + 75) = 70.25.
    assert (app.score_basic, app.score_technical, app.score_service, app.score_operational) == (
        Decimal("56.00"),
        Decimal("75.00"),
        Decimal("75.00"),
        Decimal("75.00"),
    )
    assert (app.score_total, app.total_score) == (Decimal("70.25"), Decimal("70.25"))
    assert (app.computed_grade, app.recommended_grade, app.grade_override_reason) == (
        "IETS-3",
        "IETS-3",
        "",
    )
    rows = list(CriterionScore.objects.filter(application=app).select_related("criterion"))
    assert [r.criterion.code for r in rows] == GRADE_CODES
    assert (rows[0].score, rows[0].comment, rows[0].scored_by, rows[0].scored_at) == (
        Decimal("10.00"),
        "B1 材料充分。",
        lead,
        now,
    )
    assert all(r.criterion.rubric_id == app.rubric_id for r in rows)
    assert app.onsite_visit_on == date(2026, 3, 2)
    data = last_audit().data
    assert (data["rubric"], data["total"], data["computed_grade"], data["areas"]["basic"]) == (
        "grade v1",
        "70.25",
        "IETS-3",
        "56.00",
    )
    assert data["scores"]["B2"] == "5.00"


def test_an_empty_recommended_grade_takes_the_computed_one(flow, world):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)

    flow.fire(app, "file_report", world.assessors[0], **report(value="9", recommended_grade=""))

    app.refresh_from_db()
    assert (app.score_total, app.computed_grade, app.recommended_grade) == (
        Decimal("90.00"),
        "IETS-1",
        "IETS-1",
    )


def test_another_grade_than_the_computed_one_needs_a_written_reason(flow, world):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)

    error = refused(
        flow,
        app,
        "file_report",
        world.assessors[0],
        InvalidInput,
        **report(recommended_grade="IETS-2"),
    )
    assert (error.field, error.message) == (
        "grade_override_reason",
        "The scores give IETS-3; to recommend IETS-2 instead, write the reason.",
    )
    assert not CriterionScore.objects.filter(application=app).exists()

    flow.fire(
        app,
        "file_report",
        world.assessors[0],
        **report(
            recommended_grade="IETS-2", grade_override_reason="现场发现研发能力明显高于材料。"
        ),
    )
    app.refresh_from_db()
    assert (app.computed_grade, app.recommended_grade, app.grade_override_reason) == (
        "IETS-3",
        "IETS-2",
        "现场发现研发能力明显高于材料。",
    )
    assert last_audit().data["grade_override_reason"] == "现场发现研发能力明显高于材料。"


def test_an_innovation_report_uses_the_innovation_rubric_and_has_no_grade(flow, world):
    app = flow.to(flow.draft(kind="innovation"), S.ONSITE_REVIEW)
    assert app.rubric == Rubric.objects.current("innovation")

    flow.fire(
        app, "file_report", world.assessors[0], **report("innovation", recommended_grade="IETS-1")
    )

    app.refresh_from_db()
    assert (app.state, app.recommended_grade, app.computed_grade, app.score_total) == (
        S.REPORTED,
        "",
        "",
        Decimal("75.00"),
    )
    assert (
        sorted(
            CriterionScore.objects.filter(application=app).values_list("criterion__code", flat=True)
        )
        == INNOVATION_CODES
    )


def test_scores_of_the_grade_rubric_are_refused_for_an_innovation_application(flow, world):
    app = flow.to(flow.draft(kind="innovation"), S.ONSITE_REVIEW)

    error = refused(flow, app, "file_report", world.assessors[0], InvalidInput, **REPORT)

    assert error.field == "scores"
    assert error.message.startswith("Unknown criteria for this rubric: B1, B2")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"B1": "10.01"}, "scores.B1", "B1: the score must be between 0 and 10."),
        ({"T1": "-1"}, "scores.T1", "T1: the score must be between 0 and 10."),
        ({"S1": "abc"}, "scores.S1", "S1: enter a number."),
        ({"S2": "NaN"}, "scores.S2", "S2: the score must be between 0 and 10."),
        ({"O1": "Infinity"}, "scores.O1", "O1: the score must be between 0 and 10."),
        ({"O2": ""}, "scores.O2", "O2: enter a score."),
        ({"O3": None}, "scores.O3", "O3: enter a score."),
        ({"O4": [8]}, "scores.O4", "O4: enter a number."),
    ],
)
def test_a_score_outside_the_criterions_range_is_refused(flow, world, change, field, message):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)

    error = refused(
        flow,
        app,
        "file_report",
        world.assessors[0],
        InvalidInput,
        **report(scores={**REPORT["scores"], **change}),
    )

    assert (error.status_code, error.field, error.message) == (400, field, message)


def test_a_missing_criterion_score_or_comment_is_refused(flow, world):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)
    scores = {k: v for k, v in REPORT["scores"].items() if k != "T3"}
    comments = {**REPORT["comments"], "S4": "  "}

    error = refused(
        flow, app, "file_report", world.assessors[0], InvalidInput, **report(scores=scores)
    )
    assert (error.field, error.message) == ("scores.T3", "T3: enter a score.")
    error = refused(
        flow, app, "file_report", world.assessors[0], InvalidInput, **report(comments=comments)
    )
    assert (error.field, error.message) == ("comments.S4", "S4: write a comment on the score.")


def test_file_report_accepts_the_bounds_0_and_the_maximum(flow, world):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)

    flow.fire(
        app,
        "file_report",
        world.assessors[0],
        **report(scores={**dict.fromkeys(GRADE_CODES, "10"), "B1": "0"}, recommended_grade=""),
    )

    app.refresh_from_db()
    assert (app.score_basic, app.score_service, app.score_total) == (
        Decimal("80.00"),
        Decimal("100.00"),
        Decimal("95.00"),
    )


@pytest.mark.parametrize("grade", ["IETS-5", "iets-3", 3])
def test_file_report_with_an_unknown_grade_is_refused(flow, world, grade):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)

    error = refused(
        flow,
        app,
        "file_report",
        world.assessors[0],
        InvalidInput,
        **report(recommended_grade=grade),
    )

    assert (error.status_code, error.field) == (400, "recommended_grade")


def test_an_application_keeps_its_rubric_when_the_center_publishes_a_new_version(flow, world, t0):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)
    v1 = app.rubric
    draft = rubric_services.rubric_draft_create(actor=world.center, kind="grade", now=t0)
    Criterion.objects.filter(rubric=draft, code="B1").update(max_score=Decimal("5"))
    rubric_services.rubric_publish(actor=world.center, rubric_id=draft.pk, now=t0)
    app = flow.to(app, S.ONSITE_REVIEW)

    # The old version's maximum (10) still holds for this application.
    flow.fire(
        app, "file_report", world.assessors[0], **report(scores={**REPORT["scores"], "B1": "9"})
    )

    app.refresh_from_db()
    assert (app.rubric, app.state) == (v1, S.REPORTED)
    assert Rubric.objects.current("grade") == draft
    later = flow.to(flow.draft(world.applicant), S.DOCUMENT_REVIEW)
    assert later.rubric == draft


def test_accept_without_a_published_rubric_is_refused(flow, world):
    app = flow.to(flow.draft(kind="innovation"), S.SUBMITTED)
    Rubric.objects.filter(kind="innovation").update(state="retired")

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        Conflict,
        lead_assessor=world.assessors[0].username,
        assessors=[world.assessors[1].username],
    )

    assert error.message == (
        "No rubric is published for this kind of evaluation; ask the evaluation center."
    )
    assert Application.objects.get(pk=app.pk).rubric is None
    assert AuditEntry.objects.filter(action="application.accept").count() == 0
