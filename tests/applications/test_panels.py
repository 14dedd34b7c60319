"""M§8, M§14(2)–(3): conflicts of interest and workloads in the institution's team and the
expert panel; each expert declares first, then scores or gives an opinion independently; the
center's conclusion and the flagged gap between the institution and the panel."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Application, CriterionScore, ExpertReview
from applications.workflow import eligible_experts, grade_gap, panel_grade
from ietsportal.errors import Conflict, InvalidInput
from ietsportal.notifications.models import Notification
from institutions.models import ConflictDeclaration, Expert
from tests.factories import UserFactory

from ..conftest import T0
from ..helpers import GRADE_CODES, REPORT, expert_opinion
from .test_workflow import refused, snapshot


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def conflict(person, org):
    return ConflictDeclaration.objects.create(
        person=person, organization=org, reason="曾任该公司顾问。", declared_at=T0
    )


# ---- the institution's team


def test_accept_refuses_an_assessor_with_a_declared_conflict(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    conflict(world.assessors[1], world.org)

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        InvalidInput,
        lead_assessor=world.assessors[0].username,
        assessors=[world.assessors[1].username],
    )

    assert (error.field, error.message) == (
        "assessors",
        "These assessors have a conflict of interest with 北京甲科技有限公司 and cannot be "
        "assigned: a-assessor2.",
    )


def test_accept_refuses_a_lead_who_is_a_member_of_the_applicant(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    lead = world.assessors[0]
    lead.organization = world.org
    lead.save(update_fields=["organization"])

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        InvalidInput,
        lead_assessor=lead.username,
        assessors=[world.assessors[1].username],
    )

    assert error.field == "lead_assessor"
    assert error.message.endswith("cannot be assigned: a-assessor1.")


# ---- the panel draw


def test_the_draw_excludes_conflicts_unavailable_and_full_experts(flow, world, settings):
    settings.EXPERT_PANEL_SIZE = 1
    app = flow.to(flow.draft(), S.REPORTED)
    e1, e2, e3 = world.experts
    employed = UserFactory(expert=True, username="expert-employed")
    Expert.objects.create(user=employed, employer=world.org)
    staff = UserFactory(expert=True, username="expert-staff", institution=world.inst)
    Expert.objects.create(user=e1, available=False)
    conflict(e2, world.org)
    Expert.objects.create(user=e3, max_open_reviews=1)
    busy = flow.to(flow.draft(world.other_applicant), S.REPORTED)
    flow.fire(busy, "start_expert_review", world.center, experts=[e3.username], pick_reason="对口")
    free = UserFactory(expert=True, username="expert-free")  # no profile: the default cap

    assert [u.username for u in eligible_experts(app)] == [free.username]
    flow.fire(app, "start_expert_review", world.center)
    assert [r.expert for r in ExpertReview.objects.filter(application=app)] == [free]
    assert staff not in eligible_experts(busy)


def test_too_few_eligible_experts_is_a_409_and_nothing_is_stored(flow, world, settings):
    settings.EXPERT_PANEL_SIZE = 3
    app = flow.to(flow.draft(), S.REPORTED)
    conflict(world.experts[0], world.org)

    error = refused(flow, app, "start_expert_review", world.center, Conflict)

    assert error.message == (
        "Only 2 experts of the pool are eligible for this application and the panel needs 3; "
        "pick experts by hand or add experts to the pool."
    )


def test_a_manual_pick_needs_a_reason_and_eligible_experts(flow, world):
    app = flow.to(flow.draft(), S.REPORTED)
    conflict(world.experts[2], world.org)

    error = refused(
        flow, app, "start_expert_review", world.center, InvalidInput, experts=["expert1"]
    )
    assert (error.field, error.message) == (
        "pick_reason",
        "Reason for picking experts by hand is required.",
    )
    error = refused(
        flow,
        app,
        "start_expert_review",
        world.center,
        InvalidInput,
        experts=["expert1", "expert3"],
        pick_reason="对口",
    )
    assert error.message == (
        "Not eligible for this application (conflict of interest, unavailable or at the "
        "workload cap): expert3."
    )


# ---- declarations and independent opinions


def test_an_opinion_before_the_declaration_is_refused(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    before = snapshot(app)

    with pytest.raises(Conflict) as exc:
        services.expert_opinion_submit(
            application_id=app.pk, actor=world.experts[0], now=t0, opinion="同意。", approves=False
        )

    assert exc.value.message == (
        "First declare that you have no conflict of interest with the applicant."
    )
    assert snapshot(app) == before


def test_a_declared_conflict_replaces_the_expert_with_a_new_draw(flow, world, t0):
    spare = UserFactory(expert=True, username="expert4")
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)  # panel: expert1–expert3
    leaving = world.experts[0]

    with pytest.raises(InvalidInput):
        services.expert_declare(
            application_id=app.pk, actor=leaving, has_conflict=True, reason=" ", now=t0
        )
    services.expert_declare(
        application_id=app.pk, actor=leaving, has_conflict=True, reason="曾任顾问。", now=t0
    )

    app = Application.objects.get(pk=app.pk)
    assert sorted(r.expert.username for r in services.current_round_reviews(app)) == [
        "expert2",
        "expert3",
        "expert4",
    ]
    assert not leaving.has_perm("applications.review_application", app)
    assert spare.has_perm("applications.review_application", app)
    assert list(Application.objects.for_user(leaving)) == []
    assert Notification.objects.filter(
        recipient=world.center, key="application.expert_conflict"
    ).exists()
    # Once out, the expert cannot come back in a later draw of this application.
    assert leaving not in eligible_experts(app)
    with pytest.raises(Exception):  # noqa: B017 — not on the panel any more
        services.expert_declare(application_id=app.pk, actor=leaving, has_conflict=False, now=t0)


def test_an_expert_scores_criterion_by_criterion_and_sees_the_others_after(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    first, second = world.experts[:2]
    token, _ = Token.objects.get_or_create(user=first)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    expert_opinion(
        application_id=app.pk,
        actor=second,
        now=t0,
        approves=True,
        recommended_grade="IETS-3",
        opinion="同意。",
    )
    body = client.get(f"/api/v1/applications/{app.pk}/").json()
    assert [r["expert"] for r in body["expert_reviews"]] == ["expert1"]  # not the others yet

    review = expert_opinion(
        application_id=app.pk,
        actor=first,
        now=t0,
        approves=True,
        opinion="技术能力突出。",
        scores=dict.fromkeys(GRADE_CODES, "8.5"),
        comments={code: "符合。" for code in GRADE_CODES},
    )

    assert (review.score_total, review.computed_grade, review.grade) == (
        Decimal("85.00"),
        "IETS-2",
        "IETS-2",
    )
    assert CriterionScore.objects.filter(review=review).count() == 16
    body = client.get(f"/api/v1/applications/{app.pk}/").json()
    assert sorted(r["expert"] for r in body["expert_reviews"]) == ["expert1", "expert2"]


def test_an_expert_score_without_a_comment_is_refused(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    services.expert_declare(
        application_id=app.pk, actor=world.experts[0], has_conflict=False, now=t0
    )

    with pytest.raises(InvalidInput) as exc:
        services.expert_opinion_submit(
            application_id=app.pk,
            actor=world.experts[0],
            now=t0,
            approves=True,
            opinion="同意。",
            scores=dict.fromkeys(GRADE_CODES, "8"),
            comments={},
        )

    assert exc.value.field == "comments.B1"
    assert ExpertReview.objects.get(application=app, expert=world.experts[0]).submitted_at is None
    assert not CriterionScore.objects.filter(review__isnull=False).exists()


# ---- the center's conclusion


def test_a_gap_of_a_grade_between_institution_and_panel_is_flagged(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)  # the institution recommends IETS-3
    for expert, grade in zip(world.experts, ["IETS-1", "IETS-2", "IETS-1"], strict=True):
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=t0,
            approves=True,
            recommended_grade=grade,
            opinion="同意。",
        )
    app = Application.objects.get(pk=app.pk)
    assert (panel_grade(app), grade_gap(app)) == ("IETS-1", 2)

    client = Client()
    client.force_login(world.center)
    client.cookies["django_language"] = "en"
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'id="grade-gap"' in page
    assert (
        "The institution recommends IETS-3; the panel's median is IETS-1: 2 grades apart." in page
    )

    # Another grade than the recommended one needs the center's reasons.
    error = refused(flow, app, "confirm", world.center, InvalidInput, final_grade="IETS-1")
    assert error.field == "reason"
    flow.fire(app, "confirm", world.center, final_grade="IETS-1", reason="专家意见一致。")
    app.refresh_from_db()
    assert (app.state, app.final_grade, app.last_reason) == (
        S.PUBLICITY,
        "IETS-1",
        "专家意见一致。",
    )


def test_no_flag_when_the_panel_agrees(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    for expert in world.experts:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=t0,
            approves=True,
            recommended_grade=REPORT["recommended_grade"],
            opinion="同意。",
        )
    client = Client()
    client.force_login(world.center)

    page = client.get(f"/applications/{app.pk}/").content.decode()

    assert grade_gap(Application.objects.get(pk=app.pk)) == 0
    assert 'id="grade-gap"' not in page


def test_the_expert_page_asks_for_the_declaration_first(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    client = Client()
    client.force_login(world.experts[0])
    client.cookies["django_language"] = "en"

    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "/declaration/" in page and "/opinion/" not in page

    response = client.post(f"/applications/{app.pk}/declaration/", {"has_conflict": "no"})
    assert response.status_code == 302
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "/opinion/" in page
    assert f'action="/applications/{app.pk}/declaration/"' not in page
