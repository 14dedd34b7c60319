"""M§25: an upheld reconsideration (复议) reopens a result that did not pass (`reconsider`)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import services as applications
from applications.enums import ApplicationState as S
from applications.models import ExpertReview
from applications.selectors import application_timeline
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, NotPermitted
from ietsportal.notifications.models import Notification
from supervision import services
from supervision.models import Case

from ..conftest import T0

MESSAGE = "Only an upheld reconsideration (M§25) reopens a result that did not pass"


@pytest.fixture
def rejected(world, flow):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW, now=T0)
    return flow.fire(app, "reject", world.center, T0 + timedelta(hours=1), reason="能力不足。")


def open_case(world, app, kind="reconsideration"):
    case, _ = services.case_file(
        actor=world.applicant,
        kind=kind,
        subject_kind="application",
        reference=app.number,
        summary="请求复议",
        details="专家评审未考虑已提交的项目材料。",
        now=T0 + timedelta(days=1),
    )
    services.case_start(case_id=case.pk, actor=world.center, now=T0 + timedelta(days=2))
    return case


def decide(world, case):
    return services.case_decide(
        case_id=case.pk,
        actor=world.center,
        upheld=True,
        reply="复议成立，重新组织专家评审。",
        actions=["reopen_evaluation"],
        now=T0 + timedelta(days=3),
    )


def test_upheld_reconsideration_reopens_a_rejected_result_with_a_new_round(world, rejected):
    assert rejected.state == S.REJECTED and rejected.closed_at is not None
    case = open_case(world, rejected)
    Notification.objects.all().delete()
    decide(world, case)
    app = type(rejected).objects.get(pk=rejected.pk)
    case.refresh_from_db()
    assert (app.state, app.closed_at, app.final_grade, app.last_reason) == (
        S.EXPERT_REVIEW,
        None,
        "",
        "复议成立，重新组织专家评审。",
    )
    assert case.actions == [
        {"action": "reopen_evaluation", "application": app.number, "transition": "reconsider"}
    ]
    rounds = sorted(ExpertReview.objects.filter(application=app).values_list("round", flat=True))
    assert rounds == [1, 1, 1, 2, 2, 2]
    assert [r.round for r in applications.current_round_reviews(app)] == [2, 2, 2]
    entry = AuditEntry.objects.filter(action="application.reconsider").get()
    assert (entry.actor, entry.data["from"], entry.data["to"], entry.data["case"]) == (
        world.center,
        "rejected",
        "expert_review",
        case.number,
    )
    assert (entry.data["round"], entry.data["experts"]) == (2, ["expert1", "expert2", "expert3"])
    # The history the applicant reads shows it.
    timeline = application_timeline(application=app, user=world.applicant)
    assert [e.action for e in timeline][-2:] == ["application.reject", "application.reconsider"]
    page = Client()
    page.force_login(world.applicant)
    response = page.get(reverse("applications:application-detail", args=[app.pk]))
    assert response.status_code == 200
    assert "认定复议成立并重新进行专家评审（M§25）" in response.content.decode()
    # Applicant and institution are told the result is reopened.
    told = set(
        Notification.objects.filter(
            key="application.transition", params__transition="reconsider"
        ).values_list("recipient__username", flat=True)
    )
    assert {world.applicant.username, world.inst_admin.username} <= told
    assert world.center.username not in told
    # The new panel can now give opinions and the center confirm again.
    assert sorted(applications.available_transitions(app, world.center)) == [
        "confirm",
        "reject",
        "send_back",
    ]


def test_reconsider_is_not_offered_and_refused_when_fired_directly(world, rejected):
    assert "reconsider" not in applications.available_transitions(rejected, world.center)
    # Through the API: 403 with the message, nothing changed.
    token, _ = Token.objects.get_or_create(user=world.center)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(
        f"/api/v1/applications/{rejected.pk}/transitions/reconsider/",
        {"reason": "复议成立。", "case": "AJ2026000001"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("只有成立的复议（M§25）才能重新评价未通过的结果")
    # Through the page: the detail page again, 403, with the message.
    page = Client()
    page.force_login(world.center)
    response = page.post(
        reverse("applications:application-transition", args=[rejected.pk, "reconsider"]),
        {"reason": "复议成立。"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert MESSAGE in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.state == S.REJECTED
    assert not AuditEntry.objects.filter(action="application.reconsider").exists()
    assert not ExpertReview.objects.filter(application=rejected, round=2).exists()


def test_reconsider_refuses_a_case_not_upheld_or_about_another_application(world, flow, rejected):
    case = open_case(world, rejected)  # in progress, not upheld
    with pytest.raises(NotPermitted):
        applications.application_transition(
            application_id=rejected.pk,
            name="reconsider",
            actor=world.center,
            data={"reason": "成立。", "case": case},
            now=T0 + timedelta(days=3),
        )
    other = flow.to(flow.draft(), S.EXPERT_REVIEW, now=T0)
    other = flow.fire(other, "reject", world.center, T0 + timedelta(hours=2), reason="不足。")
    decide(world, case)
    with pytest.raises(NotPermitted):
        applications.application_transition(
            application_id=other.pk,
            name="reconsider",
            actor=world.center,
            data={"reason": "成立。", "case": Case.objects.get(pk=case.pk)},
            now=T0 + timedelta(days=4),
        )
    other.refresh_from_db()
    assert other.state == S.REJECTED


def test_an_upheld_complaint_does_not_reopen_a_rejected_result(world, rejected):
    case = open_case(world, rejected, kind="complaint")
    with pytest.raises(Conflict, match="未通过，只有复议（M§25）才能重新评价"):
        decide(world, case)
    case.refresh_from_db()
    rejected.refresh_from_db()
    assert (case.state, case.decided_at, rejected.state) == ("in_progress", None, S.REJECTED)
