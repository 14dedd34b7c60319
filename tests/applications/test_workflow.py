"""The application state machine (DESIGN.md "State machines"), through its one service:
every transition allowed for the right person in the right state, with its exact effects, and
refused otherwise — wrong state (409), wrong user (403), missing or bad data (400) — with
nothing stored when refused."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.utils import translation
from django.utils.translation import gettext

from applications import services
from applications.enums import ApplicationState as S
from applications.enums import ObjectionState
from applications.models import Application, ExpertReview, Objection
from applications.workflow import STEPS
from certificates.models import Certificate
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotPermitted
from institutions.enums import AssessorState
from rubrics.models import Rubric
from tests.conftest import T0
from tests.factories import UserFactory
from tests.helpers import REPORT, expert_opinion

MINUTE = timedelta(minutes=1)


def msg(msgid, **params):
    """The user-facing message as the service renders it in the default language."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
        return text % {k: str(v) for k, v in params.items()} if params else text


def wrong_state_message(name, state):
    return msg(
        "“%(step)s” is not possible while the application is “%(state)s”.",
        step=STEPS[name].label,
        state=S(state).label,
    )


def not_permitted_message(name):
    return msg("You may not “%(step)s” on this application.", step=STEPS[name].label)


def snapshot(app):
    """Everything a refused transition must leave as it was."""
    app = Application.objects.get(pk=app.pk)
    data = model_to_dict(app)
    data["assessors"] = sorted(u.pk for u in app.assessors.all())
    data["expert_reviews"] = list(
        ExpertReview.objects.filter(application=app).order_by("pk").values()
    )
    data["objections"] = list(Objection.objects.filter(application=app).order_by("pk").values())
    data["certificates"] = Certificate.objects.filter(application=app).count()
    data["audit_entries"] = AuditEntry.objects.count()
    return data


def refused(flow, app, name, actor, error, now=T0 + timedelta(days=1), **data):
    """Fire a transition that must be refused; check that nothing was stored; return the
    error."""
    before = snapshot(app)
    with pytest.raises(error) as exc:
        flow.fire(app, name, actor, now, **data)
    assert snapshot(app) == before
    return exc.value


def last_audit():
    return AuditEntry.objects.order_by("-seq").first()


def actor_of(world, who):
    return {
        "applicant": world.applicant,
        "inst_admin": world.inst_admin,
        "center": world.center,
        "lead": world.assessors[0],
        "second": world.assessors[1],
        "expert": world.experts[0],
    }[who]


# ---- allowed: the right user in the right state, with the exact effects


def test_submit_moves_draft_to_submitted_and_records_it(flow, world, t0):
    app = flow.draft()
    now = t0 + timedelta(hours=2)

    app = flow.fire(app, "submit", world.applicant, now)

    app.refresh_from_db()
    assert app.state == S.SUBMITTED
    assert app.submitted_at == now
    assert app.updated_at == now
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.object_id, entry.data) == (
        "application.submit",
        world.applicant.pk,
        str(app.pk),
        {"from": "draft", "to": "submitted"},
    )


def test_withdraw_is_allowed_from_every_state_before_the_report(flow, world, t0):
    for state in (S.DRAFT, S.SUBMITTED, S.DOCUMENT_REVIEW, S.ONSITE_REVIEW):
        app = flow.to(flow.draft(), state)
        now = t0 + timedelta(days=1)
        flow.fire(app, "withdraw", world.applicant, now, reason="不再需要。")
        app.refresh_from_db()
        assert (app.state, app.closed_at, app.last_reason) == (S.WITHDRAWN, now, "不再需要。")


def test_withdraw_is_allowed_when_returned_and_needs_no_reason(flow, world, t0):
    app = flow.to(flow.draft(), S.SUBMITTED)
    flow.fire(app, "return_to_applicant", world.inst_admin, reason="缺营业执照。")
    now = t0 + timedelta(days=1)

    flow.fire(app, "withdraw", world.applicant, now)

    app.refresh_from_db()
    assert (app.state, app.closed_at, app.last_reason) == (S.WITHDRAWN, now, "")
    assert last_audit().data == {"from": "returned_to_applicant", "to": "withdrawn", "reason": ""}


def test_accept_assigns_lead_and_assessors(flow, world, t0):
    app = flow.to(flow.draft(), S.SUBMITTED)
    lead, second, third = world.assessors
    now = t0 + timedelta(days=1)

    flow.fire(
        app,
        "accept",
        world.inst_admin,
        now,
        lead_assessor=lead.username,
        assessors=[str(second.pk), third.username],
    )

    app.refresh_from_db()
    assert app.state == S.DOCUMENT_REVIEW
    assert app.accepted_at == now
    assert app.lead_assessor == lead
    assert sorted(u.pk for u in app.assessors.all()) == sorted([lead.pk, second.pk, third.pk])
    assert last_audit().data == {
        "from": "submitted",
        "to": "document_review",
        "lead_assessor": lead.username,
        "assessors": sorted([lead.username, second.username, third.username]),
        "rubric": "grade v1",
    }
    assert app.rubric == Rubric.objects.current("grade")  # M§3: kept from now on
    # The assigned assessors now see the application; the others of the institution do not.
    assert list(Application.objects.for_user(third)) == [app]


def test_accept_gives_the_team_the_application_and_nobody_else(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)  # lead a-assessor1, with a-assessor2

    assert list(Application.objects.for_user(world.assessors[0])) == [app]
    assert list(Application.objects.for_user(world.assessors[1])) == [app]
    assert list(Application.objects.for_user(world.assessors[2])) == []


def test_refuse_closes_with_the_reason(flow, world, t0):
    app = flow.to(flow.draft(), S.SUBMITTED)
    now = t0 + timedelta(days=1)

    flow.fire(app, "refuse", world.inst_admin, now, reason="  不属于受理范围。 ")

    app.refresh_from_db()
    assert (app.state, app.last_reason, app.closed_at) == (S.REFUSED, "不属于受理范围。", now)


@pytest.mark.parametrize(
    ("state", "who"),
    [(S.SUBMITTED, "inst_admin"), (S.DOCUMENT_REVIEW, "lead"), (S.DOCUMENT_REVIEW, "inst_admin")],
)
def test_return_to_applicant_then_resubmit(flow, world, t0, state, who):
    app = flow.to(flow.draft(), state)
    flow.fire(
        app,
        "return_to_applicant",
        actor_of(world, who),
        t0 + timedelta(days=1),
        reason="请补充近三年财务报表。",
    )
    app.refresh_from_db()
    assert (app.state, app.last_reason) == (S.RETURNED_TO_APPLICANT, "请补充近三年财务报表。")

    now = t0 + timedelta(days=2)
    flow.fire(app, "resubmit", world.applicant, now, note="已补充。")

    app.refresh_from_db()
    assert (app.state, app.submitted_at) == (S.SUBMITTED, now)
    request = app.material_requests.get()
    assert last_audit().data == {
        "from": "returned_to_applicant",
        "to": "submitted",
        "note": "已补充。",
        "request": request.pk,
        "files": [],
    }


def test_finish_document_review_stores_the_notes(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)

    flow.fire(app, "finish_document_review", world.assessors[1], notes=" 材料齐全，进入现场。 ")

    app.refresh_from_db()
    assert (app.state, app.document_review_notes) == (S.ONSITE_REVIEW, "材料齐全，进入现场。")


def test_start_expert_review_creates_the_panel_and_grants_it_the_application(flow, world, t0):
    app = flow.to(flow.draft(), S.REPORTED)
    chosen, other = world.experts[:2], world.experts[2]
    now = t0 + timedelta(days=4)

    flow.fire(
        app,
        "start_expert_review",
        world.center,
        now,
        experts=[chosen[0].username, str(chosen[1].pk)],
        pick_reason="专业对口。",
    )

    app.refresh_from_db()
    assert app.state == S.EXPERT_REVIEW
    reviews = ExpertReview.objects.filter(application=app).order_by("expert_id")
    assert [(r.expert_id, r.round, r.assigned_at, r.submitted_at) for r in reviews] == [
        (chosen[0].pk, 1, now, None),
        (chosen[1].pk, 1, now, None),
    ]
    for expert in chosen:  # the django-guardian grant: the expert now sees it
        assert expert.has_perm("applications.review_application", app)
        assert list(Application.objects.for_user(expert)) == [app]
    assert not other.has_perm("applications.review_application", app)
    assert list(Application.objects.for_user(other)) == []
    assert last_audit().data == {
        "from": "reported",
        "to": "expert_review",
        "experts": sorted(e.username for e in chosen),
        "round": 1,
        "pick_reason": "专业对口。",
    }


def test_start_expert_review_draws_a_panel_from_the_pool(flow, world, settings):
    settings.EXPERT_PANEL_SIZE = 2
    app = flow.to(flow.draft(), S.REPORTED)

    flow.fire(app, "start_expert_review", world.center)

    panel = list(ExpertReview.objects.filter(application=app).values_list("expert", flat=True))
    assert len(set(panel)) == 2
    assert set(panel) <= {e.pk for e in world.experts}


def test_send_back_returns_to_onsite_review_and_a_new_round_follows(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)  # round 1: all three experts, none answered

    flow.fire(app, "send_back", world.center, t0 + timedelta(days=5), reason="现场核查不充分。")
    app.refresh_from_db()
    assert (app.state, app.last_reason) == (S.ONSITE_REVIEW, "现场核查不充分。")

    flow.fire(app, "file_report", world.assessors[0], t0 + timedelta(days=6), **REPORT)
    flow.fire(
        app,
        "start_expert_review",
        world.center,
        t0 + timedelta(days=7),
        experts=[world.experts[0].username],
        pick_reason="专业对口。",
    )
    app.refresh_from_db()
    assert app.state == S.EXPERT_REVIEW
    assert sorted(
        ExpertReview.objects.filter(application=app).values_list("round", "expert__username")
    ) == [(1, "expert1"), (1, "expert2"), (1, "expert3"), (2, "expert1")]
    # Only the current round counts: one opinion is enough to confirm now.
    expert_opinion(
        application_id=app.pk,
        actor=world.experts[0],
        now=t0 + timedelta(days=8),
        approves=True,
        recommended_grade="IETS-3",
        opinion="同意。",
    )
    flow.fire(app, "confirm", world.center, t0 + timedelta(days=8), final_grade="IETS-3")
    app.refresh_from_db()
    assert app.state == S.PUBLICITY


def test_confirm_opens_seven_days_of_publicity(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    now = t0 + timedelta(days=5)
    for expert in world.experts:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=now,
            approves=True,
            recommended_grade="IETS-2",
            opinion="同意。",
        )

    flow.fire(app, "confirm", world.center, now, final_grade="IETS-2", reason="专家一致同意。")

    app.refresh_from_db()
    assert app.state == S.PUBLICITY
    assert app.final_grade == "IETS-2"
    assert app.last_reason == "专家一致同意。"
    assert app.publicity_starts_at == now
    assert app.publicity_ends_at == now + timedelta(days=7)
    assert last_audit().data == {
        "from": "expert_review",
        "to": "publicity",
        "final_grade": "IETS-2",
        "publicity_batch": app.publicity_batch.number,
        "publicity_ends_at": str(now + timedelta(days=7)),
    }


def test_reject_from_expert_review_closes_it(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    now = t0 + timedelta(days=5)

    flow.fire(app, "reject", world.center, now, reason="技术能力不足。")

    app.refresh_from_db()
    assert (app.state, app.last_reason, app.closed_at) == (S.REJECTED, "技术能力不足。", now)


def test_reject_during_publicity_upholds_the_open_objections(flow, world, t0):
    app = flow.to(flow.draft(), S.PUBLICITY)
    objection = services.objection_file(
        application_id=app.pk,
        name="张三",
        contact="13800000000",
        reason="数据不实。",
        now=t0 + timedelta(days=1),
    )
    now = t0 + timedelta(days=2)

    flow.fire(app, "reject", world.center, now, reason="异议成立。")

    app.refresh_from_db()
    objection.refresh_from_db()
    assert (app.state, app.closed_at) == (S.REJECTED, now)
    assert (
        objection.state,
        objection.decided_at,
        objection.decided_by,
        objection.decision_reason,
    ) == (ObjectionState.UPHELD, now, world.center, "异议成立。")
    assert last_audit().data == {
        "from": "publicity",
        "to": "rejected",
        "reason": "异议成立。",
        "objections_upheld": 1,
    }


def test_reopen_review_ends_the_publicity_and_upholds_objections(flow, world, t0):
    app = flow.to(flow.draft(), S.PUBLICITY)
    objection = services.objection_file(
        application_id=app.pk,
        name="李四",
        contact="li@example.cn",
        reason="评分偏高。",
        now=t0 + timedelta(days=1),
    )
    now = t0 + timedelta(days=2)

    flow.fire(app, "reopen_review", world.center, now, reason="重新评审。")

    app.refresh_from_db()
    objection.refresh_from_db()
    assert app.state == S.EXPERT_REVIEW
    assert (app.publicity_starts_at, app.publicity_ends_at) == (None, None)
    assert objection.state == ObjectionState.UPHELD
    assert Application.objects.filter(state=S.PUBLICITY).count() == 0
    # A new panel round is drawn; the first round's opinions no longer count.
    rounds = sorted(app.expert_reviews.values_list("round", "submitted_at"))
    assert [r for r, _ in rounds].count(2) == len(world.experts)
    assert all(submitted is None for r, submitted in rounds if r == 2)
    with pytest.raises(Conflict):
        flow.fire(app, "confirm", world.center, now, final_grade="IETS-3")


def test_issue_after_the_window_creates_the_certificate(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)
    now = app.publicity_ends_at

    flow.fire(app, "issue", world.center, now)

    app.refresh_from_db()
    assert (app.state, app.closed_at) == (S.ISSUED, now)
    certificate = Certificate.objects.get(application=app)
    assert (certificate.grade, certificate.status) == ("IETS-3", "valid")


def test_issue_after_a_dismissed_objection(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)
    objection = services.objection_file(
        application_id=app.pk,
        name="王五",
        contact="wang@x.cn",
        reason="不服。",
        now=app.publicity_starts_at + MINUTE,
    )
    services.objection_dismiss(
        objection_id=objection.pk,
        actor=world.center,
        reason="无依据。",
        now=app.publicity_starts_at + 2 * MINUTE,
    )

    flow.fire(app, "issue", world.center, app.publicity_ends_at)

    app.refresh_from_db()
    assert app.state == S.ISSUED


def test_transitions_notify_the_people_concerned(flow, world):
    from ietsportal.notifications.models import Notification

    app = flow.to(flow.draft(), S.SUBMITTED)
    Notification.objects.all().delete()

    flow.fire(
        app,
        "accept",
        world.inst_admin,
        lead_assessor=world.assessors[0].username,
        assessors=[world.assessors[1].username],
    )

    assert sorted(Notification.objects.values_list("recipient__username", "key")) == [
        ("a-assessor1", "application.assigned"),
        ("a-assessor1", "application.transition"),
        ("a-assessor2", "application.assigned"),
        ("a-assessor2", "application.transition"),
        ("applicant", "application.transition"),
    ]


# ---- refused: wrong state → 409 with a message, and nothing stored

WRONG_STATE = [
    ("submit", S.SUBMITTED, "applicant"),
    ("resubmit", S.DRAFT, "applicant"),
    ("withdraw", S.REPORTED, "applicant"),
    ("withdraw", S.PUBLICITY, "applicant"),
    ("accept", S.DOCUMENT_REVIEW, "inst_admin"),
    ("refuse", S.DOCUMENT_REVIEW, "inst_admin"),
    ("return_to_applicant", S.ONSITE_REVIEW, "inst_admin"),
    ("finish_document_review", S.ONSITE_REVIEW, "lead"),
    ("file_report", S.DOCUMENT_REVIEW, "lead"),
    ("start_expert_review", S.ONSITE_REVIEW, "center"),
    ("send_back", S.REPORTED, "center"),
    ("confirm", S.REPORTED, "center"),
    ("reject", S.REPORTED, "center"),
    ("reopen_review", S.EXPERT_REVIEW, "center"),
    ("issue", S.EXPERT_REVIEW, "center"),
    ("issue", S.ISSUED, "center"),
]


@pytest.mark.parametrize(
    ("name", "state", "who"), WRONG_STATE, ids=[f"{n}-from-{s}" for n, s, _ in WRONG_STATE]
)
def test_transition_in_the_wrong_state_is_a_conflict(flow, world, name, state, who):
    app = flow.to(flow.draft(), state)

    error = refused(flow, app, name, actor_of(world, who), Conflict, reason="理由", **REPORT)

    assert error.status_code == 409
    assert error.message == wrong_state_message(name, state)


@pytest.mark.parametrize(
    ("state", "via", "closing", "who"),
    [
        (S.REFUSED, S.SUBMITTED, "refuse", "inst_admin"),
        (S.REJECTED, S.EXPERT_REVIEW, "reject", "center"),
        (S.WITHDRAWN, S.SUBMITTED, "withdraw", "applicant"),
    ],
)
def test_closed_application_accepts_no_transition(flow, world, state, via, closing, who):
    app = flow.to(flow.draft(), via)
    flow.fire(app, closing, actor_of(world, who), reason="结束。")
    app.refresh_from_db()
    assert app.state == state
    assert services.available_transitions(app, world.center) == []
    assert services.available_transitions(app, world.applicant) == []

    for name, who in [
        ("submit", "applicant"),
        ("resubmit", "applicant"),
        ("withdraw", "applicant"),
        ("accept", "inst_admin"),
        ("confirm", "center"),
        ("issue", "center"),
    ]:
        error = refused(flow, app, name, actor_of(world, who), Conflict)
        assert error.message == wrong_state_message(name, state)


# ---- refused: a user who sees the application but may not fire this transition → 403

WRONG_USER = [
    ("submit", S.DRAFT, "center"),
    ("withdraw", S.SUBMITTED, "inst_admin"),
    ("withdraw", S.DOCUMENT_REVIEW, "center"),
    ("accept", S.SUBMITTED, "applicant"),
    ("accept", S.SUBMITTED, "center"),
    ("refuse", S.SUBMITTED, "applicant"),
    ("return_to_applicant", S.DOCUMENT_REVIEW, "applicant"),
    ("return_to_applicant", S.SUBMITTED, "center"),
    ("finish_document_review", S.DOCUMENT_REVIEW, "inst_admin"),
    ("finish_document_review", S.DOCUMENT_REVIEW, "applicant"),
    ("file_report", S.ONSITE_REVIEW, "inst_admin"),
    ("file_report", S.ONSITE_REVIEW, "center"),
    ("start_expert_review", S.REPORTED, "inst_admin"),
    ("start_expert_review", S.REPORTED, "lead"),
    ("send_back", S.EXPERT_REVIEW, "expert"),
    ("confirm", S.EXPERT_REVIEW, "expert"),
    ("confirm", S.EXPERT_REVIEW, "inst_admin"),
    ("reject", S.EXPERT_REVIEW, "applicant"),
    ("reject", S.PUBLICITY, "inst_admin"),
    ("reopen_review", S.PUBLICITY, "inst_admin"),
    ("issue", S.PUBLICITY, "applicant"),
]


@pytest.mark.parametrize(
    ("name", "state", "who"), WRONG_USER, ids=[f"{n}-in-{s}-by-{w}" for n, s, w in WRONG_USER]
)
def test_transition_by_the_wrong_user_is_not_permitted(flow, world, name, state, who):
    app = flow.to(flow.draft(), state)
    actor = actor_of(world, who)

    error = refused(
        flow,
        app,
        name,
        actor,
        NotPermitted,
        now=T0 + timedelta(days=30),
        reason="理由",
        notes="备注",
        final_grade="IETS-3",
        **REPORT,
    )

    assert error.status_code == 403
    assert error.message == not_permitted_message(name)
    assert name not in services.available_transitions(app, actor)


def test_resubmit_by_another_user_is_not_permitted(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    flow.fire(app, "return_to_applicant", world.inst_admin, reason="补正。")
    app.refresh_from_db()

    for actor in (world.inst_admin, world.center, world.other_applicant):
        error = refused(flow, app, "resubmit", actor, NotPermitted)
        assert error.message == not_permitted_message("resubmit")


@pytest.mark.parametrize(
    ("name", "state", "who"),
    [
        ("submit", S.DRAFT, "other_applicant"),
        ("withdraw", S.SUBMITTED, "other_applicant"),
        ("accept", S.SUBMITTED, "other_admin"),
        ("accept", S.SUBMITTED, "local_admin"),
        ("finish_document_review", S.DOCUMENT_REVIEW, "other_assessor"),
        ("finish_document_review", S.DOCUMENT_REVIEW, "unassigned_assessor"),
        ("file_report", S.ONSITE_REVIEW, "unassigned_assessor"),
    ],
)
def test_transition_by_another_tenant_is_not_permitted(flow, world, name, state, who):
    app = flow.to(flow.draft(), state)
    actor = {
        "other_applicant": world.other_applicant,
        "other_admin": world.other_admin,
        "local_admin": world.local_admin,
        "other_assessor": world.other_assessors[0],
        "unassigned_assessor": world.assessors[2],
    }[who]

    refused(
        flow,
        app,
        name,
        actor,
        NotPermitted,
        lead_assessor=world.assessors[0].username,
        assessors=[world.assessors[1].username],
        notes="备注",
        **REPORT,
    )

    assert list(Application.objects.for_user(actor)) == []


def test_expert_not_on_the_panel_cannot_give_an_opinion(flow, world, t0):
    app = flow.to(flow.draft(), S.REPORTED)
    flow.fire(
        app,
        "start_expert_review",
        world.center,
        experts=["expert1", "expert2"],
        pick_reason="专业对口。",
    )
    before = snapshot(app)

    with pytest.raises(NotPermitted):
        expert_opinion(
            application_id=app.pk,
            actor=world.experts[2],
            now=t0,
            approves=True,
            recommended_grade="IETS-3",
            opinion="同意。",
        )

    assert snapshot(app) == before


def test_expert_opinion_is_given_once_and_only_during_the_review(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    expert = world.experts[0]
    expert_opinion(
        application_id=app.pk,
        actor=expert,
        now=t0,
        approves=False,
        recommended_grade="IETS-1",
        opinion="不同意。",
    )
    review = ExpertReview.objects.get(application=app, expert=expert)
    assert (review.approves, review.recommended_grade, review.opinion, review.submitted_at) == (
        False,
        "",
        "不同意。",
        t0,
    )

    with pytest.raises(Conflict) as exc:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=t0,
            approves=True,
            recommended_grade="IETS-3",
            opinion="改为同意。",
        )
    assert exc.value.message == msg("You have already given your opinion.")

    flow.fire(app, "reject", world.center, reason="未通过。")
    with pytest.raises(Conflict):
        expert_opinion(
            application_id=app.pk,
            actor=world.experts[1],
            now=t0,
            approves=True,
            recommended_grade="IETS-3",
            opinion="同意。",
        )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"opinion": "  ", "approves": True, "recommended_grade": "IETS-3"}, "opinion"),
        ({"opinion": "同意。", "approves": None, "recommended_grade": "IETS-3"}, "approves"),
        ({"opinion": "同意。", "approves": True, "recommended_grade": ""}, "recommended_grade"),
        (
            {"opinion": "同意。", "approves": True, "recommended_grade": "IETS-9"},
            "recommended_grade",
        ),
    ],
)
def test_expert_opinion_with_bad_data_is_refused(flow, world, t0, data, field):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    services.expert_declare(
        application_id=app.pk, actor=world.experts[0], has_conflict=False, now=t0
    )
    before = snapshot(app)

    with pytest.raises(InvalidInput) as exc:
        expert_opinion(application_id=app.pk, actor=world.experts[0], now=t0, **data)

    assert exc.value.field == field
    assert snapshot(app) == before


# ---- refused: missing or bad data → 400 (or 409 for an unmet condition), nothing stored


@pytest.mark.parametrize(
    ("name", "state", "who"),
    [
        ("refuse", S.SUBMITTED, "inst_admin"),
        ("return_to_applicant", S.SUBMITTED, "inst_admin"),
        ("return_to_applicant", S.DOCUMENT_REVIEW, "lead"),
        ("send_back", S.EXPERT_REVIEW, "center"),
        ("reject", S.EXPERT_REVIEW, "center"),
        ("reject", S.PUBLICITY, "center"),
        ("reopen_review", S.PUBLICITY, "center"),
    ],
)
def test_transition_needing_a_reason_is_refused_without_one(flow, world, name, state, who):
    app = flow.to(flow.draft(), state)

    for data in ({}, {"reason": ""}, {"reason": "   \n"}, {"reason": None}):
        error = refused(flow, app, name, actor_of(world, who), InvalidInput, **data)
        assert (error.status_code, error.field) == (400, "reason")
        assert error.message == msg("%(field)s is required.", field=gettext("Reason"))


def test_finish_document_review_without_notes_is_refused(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)

    error = refused(
        flow, app, "finish_document_review", world.assessors[0], InvalidInput, notes=" "
    )

    assert error.field == "notes"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("onsite_visit_on", ""),
        ("onsite_visit_on", "2026-13-01"),
        ("onsite_visit_on", "2026-04-01"),
        ("onsite_findings", ""),
        ("report", " "),
    ],
)
def test_file_report_with_missing_or_bad_details_is_refused(flow, world, field, value):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)

    error = refused(
        flow,
        app,
        "file_report",
        world.assessors[0],
        InvalidInput,
        now=T0 + timedelta(days=2),
        **{**REPORT, field: value},
    )

    assert error.field == field


def test_accept_with_an_unregistered_assessor_is_refused(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    nominee = world.assessors[2]
    nominee.assessor_profile.state = AssessorState.NOMINATED
    nominee.assessor_profile.save()

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        InvalidInput,
        lead_assessor=world.assessors[0].username,
        assessors=[nominee.username],
    )

    assert (error.status_code, error.field) == (400, "assessors")
    assert error.message == msg(
        "Not a registered assessor of this institution: %(who)s.", who=nominee.username
    )


def test_accept_with_a_user_who_is_no_assessor_is_refused(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    plain = UserFactory(username="not-an-assessor")

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        InvalidInput,
        lead_assessor=plain.username,
        assessors=[world.assessors[1].username],
    )

    assert error.field == "lead_assessor"


def test_accept_with_another_institutions_assessor_is_refused(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    foreign = world.other_assessors[0]

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        InvalidInput,
        lead_assessor=foreign.username,
        assessors=[world.assessors[1].username],
    )

    assert error.field == "lead_assessor"
    assert error.message == msg(
        "Not a registered assessor of this institution: %(who)s.", who=foreign.username
    )


@pytest.mark.parametrize(
    "data",
    [
        {"lead_assessor": "a-assessor1"},
        {"lead_assessor": "a-assessor1", "assessors": []},
        {"lead_assessor": "a-assessor1", "assessors": ["a-assessor1"]},
    ],
)
def test_accept_with_only_one_assessor_is_refused(flow, world, data):
    app = flow.to(flow.draft(), S.SUBMITTED)

    error = refused(flow, app, "accept", world.inst_admin, InvalidInput, **data)

    assert (error.field, error.message) == (
        "assessors",
        msg("Assign the lead assessor and at least one more assessor."),
    )


@pytest.mark.parametrize("lead", [None, "", ["a-assessor1", "a-assessor2"]])
def test_accept_without_exactly_one_lead_is_refused(flow, world, lead):
    app = flow.to(flow.draft(), S.SUBMITTED)

    error = refused(
        flow,
        app,
        "accept",
        world.inst_admin,
        InvalidInput,
        lead_assessor=lead,
        assessors=["a-assessor3"],
    )

    assert (error.field, error.message) == ("lead_assessor", msg("Choose one lead assessor."))


def test_start_expert_review_with_someone_outside_the_pool_is_refused(flow, world):
    app = flow.to(flow.draft(), S.REPORTED)

    error = refused(
        flow, app, "start_expert_review", world.center, InvalidInput, experts=["expert1", "center"]
    )

    assert error.message == msg("Not an expert of the pool: %(who)s.", who="center")


def test_confirm_before_every_expert_opinion_is_in_is_a_conflict(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    expert_opinion(
        application_id=app.pk,
        actor=world.experts[0],
        now=t0,
        approves=True,
        recommended_grade="IETS-3",
        opinion="同意。",
    )

    error = refused(flow, app, "confirm", world.center, Conflict, final_grade="IETS-3")

    assert error.status_code == 409
    assert error.message == msg(
        "Waiting for expert opinions from: %(who)s.", who="expert2, expert3"
    )


def test_confirm_without_a_final_grade_is_refused(flow, world, t0):
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)
    for expert in world.experts:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=t0,
            approves=True,
            recommended_grade="IETS-3",
            opinion="同意。",
        )

    error = refused(flow, app, "confirm", world.center, InvalidInput, final_grade="")

    assert (error.status_code, error.field) == (400, "final_grade")


def test_issue_before_the_seven_days_end_is_a_conflict(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)

    error = refused(
        flow,
        app,
        "issue",
        world.center,
        Conflict,
        now=app.publicity_ends_at - timedelta(microseconds=1),
    )

    assert error.message == msg("The publicity period has not ended yet.")


def test_issue_while_an_objection_is_open_is_a_conflict(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)
    services.objection_file(
        application_id=app.pk,
        name="赵六",
        contact="13900000000",
        reason="材料造假。",
        now=app.publicity_starts_at + MINUTE,
    )

    error = refused(
        flow, app, "issue", world.center, Conflict, now=app.publicity_ends_at + timedelta(days=1)
    )

    assert error.message == msg("An objection is still open: decide it first.")


def test_objection_needs_a_real_name_and_the_window(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)
    before = snapshot(app)

    with pytest.raises(InvalidInput):
        services.objection_file(
            application_id=app.pk,
            name="",
            contact="",
            reason="匿名异议。",
            now=app.publicity_starts_at + MINUTE,
        )
    with pytest.raises(InvalidInput):
        services.objection_file(
            application_id=app.pk,
            name="张三",
            contact="1380000",
            reason=" ",
            now=app.publicity_starts_at + MINUTE,
        )
    with pytest.raises(Conflict) as exc:
        services.objection_file(
            application_id=app.pk,
            name="张三",
            contact="1380000",
            reason="异议。",
            now=app.publicity_ends_at,
        )
    assert exc.value.message == msg("The publicity period has ended; objections are closed.")
    assert snapshot(app) == before


def test_unknown_transition_is_not_found(flow, world):
    from ietsportal.errors import NotFound

    app = flow.draft()
    with pytest.raises(NotFound):
        flow.fire(app, "approve_everything", world.center)


# ---- available_transitions: what each person may fire now (DESIGN.md public contract)


def test_available_transitions_follow_state_and_role(flow, world):
    """Listed by name, in alphabetical order (django-fsm collects them with getmembers)."""
    app = flow.draft()
    who = {
        "applicant": world.applicant,
        "inst_admin": world.inst_admin,
        "lead": world.assessors[0],
        "center": world.center,
        "expert": world.experts[0],
        "other_applicant": world.other_applicant,
    }
    expected = {
        S.DRAFT: {"applicant": ["submit", "withdraw"]},
        S.SUBMITTED: {
            "applicant": ["withdraw"],
            "inst_admin": ["accept", "refuse", "return_to_applicant"],
        },
        S.DOCUMENT_REVIEW: {
            "applicant": ["withdraw"],
            "inst_admin": ["return_to_applicant"],
            "lead": ["finish_document_review", "return_to_applicant"],
        },
        S.ONSITE_REVIEW: {"applicant": ["withdraw"], "lead": ["file_report"]},
        S.REPORTED: {"center": ["start_expert_review"]},
        S.EXPERT_REVIEW: {"center": ["confirm", "reject", "send_back"]},
        S.PUBLICITY: {"center": ["issue", "reject", "reopen_review"]},
        S.ISSUED: {},
    }
    for state, allowed in expected.items():
        app = flow.to(app, state)
        for name, user in who.items():
            assert services.available_transitions(app, user) == allowed.get(name, []), (state, name)
