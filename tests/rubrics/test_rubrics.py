"""M§3, M§11: versioned rubrics, the sample, scoring and immutability."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotPermitted
from rubrics import scoring, services
from rubrics.enums import RubricState
from rubrics.models import Criterion, GradeThreshold, Rubric

from ..conftest import T0

ALL = ["B1", "B2", "B3", "B4", "T1", "T2", "T3", "T4", "S1", "S2", "S3", "S4"]
ALL += ["O1", "O2", "O3", "O4"]


@pytest.fixture
def grade_rubric(world):
    return Rubric.objects.current("grade")


def test_the_sample_rubrics_are_published_labelled_and_complete(world):
    grade = Rubric.objects.current("grade")
    innovation = Rubric.objects.current("innovation")
    assert (grade.version, grade.state, grade.is_sample) == (1, RubricState.PUBLISHED, True)
    assert [c.code for c in grade.criteria.order_by("position")] == ALL
    assert sorted((t.grade, t.min_total) for t in grade.thresholds.all()) == [
        ("IETS-1", Decimal("88.00")),
        ("IETS-2", Decimal("80.00")),
        ("IETS-3", Decimal("70.00")),
        ("IETS-4", Decimal("60.00")),
        ("IETS-E", Decimal("94.00")),
    ]
    assert innovation.criteria.count() == 5
    assert not innovation.thresholds.exists()
    services.rubric_samples_ensure(now=T0)  # idempotent
    assert Rubric.objects.count() == 2


def test_scores_become_weighted_area_scores_a_total_and_a_grade(grade_rubric):
    scores = {code: "8" for code in ALL} | {"B1": "10", "B2": "5", "B3": "0", "B4": "10"}
    result = scoring.score(grade_rubric, scores)
    # Basic: (5×1 + 8×0.5 + 7×0 + 5×1) / 25 = 56 %; the others 80 %; total 74 / 100.
    assert result.areas == {
        "basic": Decimal("56.00"),
        "technical": Decimal("80.00"),
        "service": Decimal("80.00"),
        "operational": Decimal("80.00"),
    }
    assert result.total == Decimal("74.00")
    assert (result.grade, result.next_grade, result.gap_to_next) == (
        "IETS-3",
        "IETS-2",
        Decimal("6.00"),
    )


@pytest.mark.parametrize(
    ("value", "grade", "next_grade"),
    [("10", "IETS-E", ""), ("5.9", "", "IETS-4"), ("6", "IETS-4", "IETS-3"), ("9.4", "IETS-E", "")],
)
def test_the_grade_is_the_highest_threshold_reached(grade_rubric, value, grade, next_grade):
    result = scoring.score(grade_rubric, dict.fromkeys(ALL, value))
    assert (result.grade, result.next_grade) == (grade, next_grade)


def test_every_criterion_must_be_scored_unless_partial(grade_rubric):
    with pytest.raises(InvalidInput, match="O3, O4"):
        scoring.score(grade_rubric, {code: "5" for code in ALL[:-2]})
    result = scoring.score(grade_rubric, {code: "10" for code in ALL[:-2]}, partial=True)
    assert result.missing == ["O3", "O4"]
    assert result.areas["operational"] == Decimal("44.00")  # (6 + 5) / 25


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11", "须在 0 到 10 之间"),
        ("-1", "须在 0 到 10 之间"),
        ("abc", "请输入数字"),
        ("NaN", "须在 0 到 10 之间"),
        ("Infinity", "须在 0 到 10 之间"),
    ],
)
def test_a_bad_score_names_its_criterion(grade_rubric, value, message):
    with pytest.raises(InvalidInput, match=f"B2：.*{message}") as caught:
        scoring.score(grade_rubric, dict.fromkeys(ALL, "5") | {"B2": value})
    assert caught.value.field == "B2"


def test_unknown_criteria_are_refused(grade_rubric):
    with pytest.raises(InvalidInput, match="X9"):
        scoring.score(grade_rubric, dict.fromkeys(ALL, "5") | {"X9": "5"})


def test_scoring_a_loaded_rubric_runs_no_query(grade_rubric):
    scoring.rubric_loaded(grade_rubric)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            scoring.score(grade_rubric, dict.fromkeys(ALL, "7"))
    assert len(queries) == 0


def test_a_published_rubric_cannot_change(grade_rubric):
    criterion = grade_rubric.criteria.get(code="B1")
    criterion.weight = Decimal("50")
    with pytest.raises(Conflict):
        criterion.save()
    with pytest.raises(Conflict):
        grade_rubric.thresholds.get(grade="IETS-E").delete()
    with pytest.raises(Conflict):
        Criterion.objects.create(
            rubric=grade_rubric, area="basic", code="B9", title="x", weight=1, max_score=1
        )
    assert grade_rubric.criteria.get(code="B1").weight == Decimal("5.00")


def test_a_new_version_is_a_draft_copy_and_publishing_retires_the_old(world, grade_rubric):
    draft = services.rubric_draft_create(actor=world.center, kind="grade", now=T0)
    assert (draft.version, draft.state, draft.is_sample) == (2, RubricState.DRAFT, True)
    assert draft.criteria.count() == 16 and draft.thresholds.count() == 5
    with pytest.raises(Conflict, match="已有草稿"):
        services.rubric_draft_create(actor=world.center, kind="grade", now=T0)
    criterion = draft.criteria.get(code="B1")
    criterion.weight = Decimal("10")
    criterion.save()  # a draft is editable

    services.rubric_publish(actor=world.center, rubric_id=draft.pk, now=T0)

    grade_rubric.refresh_from_db()
    assert grade_rubric.state == RubricState.RETIRED
    assert Rubric.objects.current("grade") == draft
    assert grade_rubric.criteria.get(code="B1").weight == Decimal("5.00")  # kept as it was
    assert list(
        AuditEntry.objects.filter(action__startswith="rubric.").values_list("action", flat=True)
    ) == ["rubric.draft_created", "rubric.published"]
    with pytest.raises(Conflict):
        services.rubric_publish(actor=world.center, rubric_id=draft.pk, now=T0)


def test_only_the_center_maintains_rubrics(world):
    for user in (world.applicant, world.inst_admin, world.experts[0], world.assessors[0]):
        with pytest.raises(NotPermitted):
            services.rubric_draft_create(actor=user, kind="grade", now=T0)
    assert Rubric.objects.count() == 2


def test_a_draft_with_problems_is_not_published(world):
    draft = services.rubric_draft_create(actor=world.center, kind="grade", now=T0)
    draft.criteria.filter(area="service").delete()
    draft.thresholds.filter(grade="IETS-E").delete()
    GradeThreshold.objects.filter(rubric=draft, grade="IETS-1").update(min_total=50)
    with pytest.raises(InvalidInput) as caught:
        services.rubric_publish(actor=world.center, rubric_id=draft.pk, now=T0)
    message = str(caught.value.message)
    assert "服务能力" in message and "IETS-E" in message
    draft.refresh_from_db()
    assert draft.state == RubricState.DRAFT


def test_an_innovation_rubric_has_no_thresholds(world):
    draft = services.rubric_draft_create(actor=world.center, kind="innovation", now=T0)
    GradeThreshold.objects.create(rubric=draft, grade="IETS-4", min_total=60)
    with pytest.raises(InvalidInput, match="不分级"):
        services.rubric_publish(actor=world.center, rubric_id=draft.pk, now=T0)


def test_the_public_pages_show_the_sample_label_and_criteria(client, grade_rubric):
    listing = client.get("/rubrics/")
    assert listing.status_code == 200
    assert "样例" in listing.text
    detail = client.get(f"/rubrics/{grade_rubric.pk}/")
    assert "法人资格与经营年限" in detail.text
    assert "并非 T/TMAC 033.F—2021 标准" in detail.text


def test_drafts_are_not_public(client, world):
    draft = services.rubric_draft_create(actor=world.center, kind="grade", now=T0)
    assert client.get(f"/rubrics/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/public/rubrics/{draft.pk}/").status_code == 404


def test_the_api_lists_rubrics_with_criteria(client, grade_rubric):
    body = client.get(f"/api/v1/public/rubrics/{grade_rubric.pk}/").json()
    assert body["kind"] == "grade" and body["is_sample"] is True
    assert [c["code"] for c in body["criteria"]] == ALL
    assert [t["grade"] for t in body["thresholds"]] == [
        "IETS-4",
        "IETS-3",
        "IETS-2",
        "IETS-1",
        "IETS-E",
    ]
