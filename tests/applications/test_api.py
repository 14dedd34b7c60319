"""The REST API with the contracts of DESIGN.md ("Public contracts"): token login, `state` and
`available_transitions`, `POST …/transitions/{name}/`, expert opinions, public objections,
the public certificate lookup, and the OpenAPI schema and docs."""

import hashlib
from datetime import datetime, timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Application, CriterionScore
from applications.workflow import STEPS
from certificates.enums import CertificateStatus
from certificates.models import Certificate
from ietsportal.audit.models import AuditEntry
from ietsportal.demo import DEMO_PDF
from tests.conftest import pdf_upload
from tests.factories import UserFactory
from tests.helpers import REPORT, expert_opinion

PASSWORD = "pw-123456"


def msg(msgid, **params):
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
        return text % {k: str(v) for k, v in params.items()} if params else text


@pytest.fixture(autouse=True)
def _public_throttle_reset():
    """The public endpoints are throttled per address; start each test with a clean count."""
    cache.delete("throttle_anon_127.0.0.1")
    yield
    cache.delete("throttle_anon_127.0.0.1")


def token_client(username, password=PASSWORD):
    """Log in the way an integrator does: POST /api/v1/auth/token/, then `Token …`."""
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    assert list(response.json()) == ["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def url(app, suffix=""):
    pk = app if isinstance(app, int) else app.pk
    return f"/api/v1/applications/{pk}/{suffix}"


def fire(client, app, name, **data):
    return client.post(url(app, f"transitions/{name}/"), data, format="json")


# ---- authentication


def test_token_login_with_a_wrong_password_is_refused(world):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "applicant", "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert "token" not in response.json()


def test_api_without_or_with_a_bad_token_answers_401(world):
    assert APIClient().get("/api/v1/applications/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert client.get("/api/v1/applications/").status_code == 401


# ---- the whole journey through the API


def test_api_walks_an_application_from_draft_to_a_public_certificate(world):
    applicant = token_client("applicant")
    admin = token_client("inst-a")
    lead = token_client("a-assessor1")
    center = token_client("center")
    experts = [token_client(f"expert{i}") for i in (1, 2, 3)]

    # The applicant creates a draft addressed to the national institution.
    response = applicant.post(
        "/api/v1/applications/",
        {
            "institution": world.inst.pk,
            "kind": "grade",
            "requested_grade": "IETS-3",
            "description": "系统集成与运维服务。",
            "declares_independent_legal_person": True,
            "declares_no_violations": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    app_id = body["id"]
    app = Application.objects.get(pk=app_id)
    assert (body["number"], body["state"], body["available_transitions"]) == (
        app.number,
        "draft",
        ["submit", "withdraw"],
    )
    assert body["organization"] == {
        "name": "北京甲科技有限公司",
        "uscc": world.org.uscc,
        "org_type": "enterprise",
    }
    assert body["institution"] == {
        "id": world.inst.pk,
        "name": "全国评价机构甲",
        "level": "national",
    }
    assert body["evidence"] == []

    # Evidence, as multipart.
    response = applicant.post(
        url(app_id, "evidence/"),
        {"file": pdf_upload("营业执照.pdf"), "description": "营业执照"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    evidence = response.json()
    assert {k: v for k, v in evidence.items() if k not in {"id", "uploaded_at"}} == {
        "original_name": "营业执照.pdf",
        "content_type": "application/pdf",
        "size": len(DEMO_PDF),
        "sha256": hashlib.sha256(DEMO_PDF).hexdigest(),
        "description": "营业执照",
        "criterion": None,
        "material_request": None,
        "download_url": f"/applications/{app_id}/evidence/{evidence['id']}/",
    }

    response = applicant.get(url(app_id))
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["available_transitions"]) == (
        "draft",
        ["submit", "withdraw"],
    )
    assert [e["id"] for e in response.json()["evidence"]] == [evidence["id"]]
    # The institution does not see drafts.
    assert admin.get(url(app_id)).status_code == 404

    response = fire(applicant, app_id, "submit")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["available_transitions"]) == (
        "submitted",
        ["withdraw"],
    )
    assert admin.get(url(app_id)).json()["available_transitions"] == [
        "accept",
        "refuse",
        "return_to_applicant",
    ]

    response = fire(admin, app_id, "accept", lead_assessor="a-assessor1", assessors=["a-assessor2"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["lead_assessor"], sorted(body["assessors"])) == (
        "document_review",
        "a-assessor1",
        ["a-assessor1", "a-assessor2"],
    )
    assert body["available_transitions"] == ["return_to_applicant"]
    assert lead.get(url(app_id)).json()["available_transitions"] == [
        "finish_document_review",
        "return_to_applicant",
    ]

    response = fire(lead, app_id, "finish_document_review", notes="材料齐全。")
    assert (response.status_code, response.json()["state"]) == (200, "onsite_review")
    assert response.json()["document_review_notes"] == "材料齐全。"

    today = timezone.localdate().isoformat()
    response = fire(
        lead,
        app_id,
        "file_report",
        **{
            **REPORT,
            "onsite_visit_on": today,
            "scores": {**REPORT["scores"], "B1": "10", "T1": "9"},
            "recommended_grade": "",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "reported"
    # Basic (5×1 + 20×0.75) / 25 = 80 %; technical (8×0.9 + 17×0.75) / 25 = 79.8 %.
    assert (
        body["score_basic"],
        body["score_technical"],
        body["score_service"],
        body["score_operational"],
        body["total_score"],
        body["computed_grade"],
        body["recommended_grade"],
    ) == ("80.00", "79.80", "75.00", "75.00", "77.45", "IETS-3", "IETS-3")
    assert body["rubric"]["version"] == 1
    assert [(c["code"], c["score"], c["comment"]) for c in body["criterion_scores"][:2]] == [
        ("B1", "10.00", "B1 材料充分。"),
        ("B2", "7.50", "B2 材料充分。"),
    ]
    assert body["onsite_visit_on"] == today
    assert body["available_transitions"] == []
    assert center.get(url(app_id)).json()["available_transitions"] == ["start_expert_review"]

    response = fire(
        center,
        app_id,
        "start_expert_review",
        experts=["expert1", "expert2", "expert3"],
        pick_reason="专业对口。",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "expert_review"
    assert [(r["expert"], r["round"], r["submitted_at"]) for r in body["expert_reviews"]] == [
        ("expert1", 1, None),
        ("expert2", 1, None),
        ("expert3", 1, None),
    ]
    assert body["available_transitions"] == ["confirm", "reject", "send_back"]
    # Each expert now sees the application (a django-guardian grant), but only their review.
    response = experts[0].get(url(app_id))
    assert response.status_code == 200
    assert (
        response.json()["available_transitions"],
        [r["expert"] for r in response.json()["expert_reviews"]],
    ) == ([], ["expert1"])

    # Confirming before the opinions are in is a conflict with a message.
    response = fire(center, app_id, "confirm", final_grade="IETS-3")
    assert response.status_code == 409
    assert response.json() == {
        "detail": msg("Waiting for expert opinions from: %(who)s.", who="expert1, expert2, expert3")
    }

    # An opinion before the conflict-of-interest declaration is refused.
    response = experts[0].post(
        url(app_id, "expert-opinion/"), {"opinion": "同意。", "approves": True}, format="json"
    )
    assert response.status_code == 409
    for i, expert in enumerate(experts, start=1):
        response = expert.post(
            url(app_id, "expert-declaration/"), {"has_conflict": False}, format="json"
        )
        assert (response.status_code, response.json()["conflict_declared"]) == (200, False)
        response = expert.post(
            url(app_id, "expert-opinion/"),
            {"opinion": "同意。", "approves": True, "recommended_grade": "IETS-3"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert {
            k: v
            for k, v in response.json().items()
            if k not in {"assigned_at", "submitted_at", "declared_at"}
        } == {
            "expert": f"expert{i}",
            "round": 1,
            "approves": True,
            "recommended_grade": "IETS-3",
            "computed_grade": "",
            "score_total": None,
            "opinion": "同意。",
            "pick_reason": "专业对口。",
            "conflict_declared": False,
        }
    # Having given theirs, an expert sees the others' opinions.
    assert [r["expert"] for r in experts[0].get(url(app_id)).json()["expert_reviews"]] == [
        "expert1",
        "expert2",
        "expert3",
    ]

    response = fire(center, app_id, "confirm", final_grade="IETS-3")
    assert response.status_code == 200, response.content
    body = response.json()
    starts = datetime.fromisoformat(body["publicity_starts_at"])
    ends = datetime.fromisoformat(body["publicity_ends_at"])
    assert (body["state"], body["final_grade"], ends - starts) == (
        "publicity",
        "IETS-3",
        timedelta(days=7),
    )
    assert body["available_transitions"] == ["issue", "reject", "reopen_review"]

    # The public sees it in the publicity list.
    public = APIClient()
    response = public.get("/api/v1/public/publicity/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": app_id,
            "number": app.number,
            "organization": "北京甲科技有限公司",
            "uscc": world.org.uscc,
            "institution": "全国评价机构甲",
            "kind": "grade",
            "final_grade": "IETS-3",
            "publicity_starts_at": body["publicity_starts_at"],
            "publicity_ends_at": body["publicity_ends_at"],
            # No batch was open: the result was published at once in a batch of its own.
            "batch": {
                "id": Application.objects.get(pk=app_id).publicity_batch_id,
                "number": "公示〔2026〕第1批",
                "year": 2026,
                "sequence": 1,
                "starts_at": body["publicity_starts_at"],
                "ends_at": body["publicity_ends_at"],
            },
            "objections_url": f"/api/v1/public/publicity/{app_id}/objections/",
        }
    ]
    assert public.get(f"/api/v1/public/publicity/{app_id}/").json()["number"] == app.number

    # An anonymous objection is refused; one with a real name and contact is filed.
    response = public.post(
        f"/api/v1/public/publicity/{app_id}/objections/", {"reason": "评分偏高。"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": msg(
            "Objections must give a real name and a contact; anonymous objections are not accepted."
        )
    }
    response = public.post(
        f"/api/v1/public/publicity/{app_id}/objections/",
        {"name": "张三", "contact": "13800000000", "reason": "评分偏高。"},
        format="json",
    )
    assert response.status_code == 201, response.content
    objection = response.json()
    assert objection["state"] == "open"

    # The job does not issue while the objection is open …
    after = (ends + timedelta(seconds=1)).isoformat()
    out = StringIO()
    call_command("run_due_jobs", "--at", after, stdout=out)
    assert out.getvalue().splitlines()[:2] == ["issue_after_publicity: 0", "expire_certificates: 0"]
    assert applicant.get(url(app_id)).json()["state"] == "publicity"

    # … and issues once the center has dismissed it.
    services.objection_dismiss(
        objection_id=objection["id"],
        actor=world.center,
        reason="评分有据。",
        now=starts + timedelta(days=1),
    )
    out = StringIO()
    call_command("run_due_jobs", "--at", after, stdout=out)
    assert out.getvalue().splitlines()[:2] == ["issue_after_publicity: 1", "expire_certificates: 0"]

    response = applicant.get(url(app_id))
    assert (response.json()["state"], response.json()["available_transitions"]) == ("issued", [])
    assert public.get("/api/v1/public/publicity/").json()["results"] == []

    # Anyone finds the certificate by number, USCC or part of the name.
    certificate = Certificate.objects.get(application_id=app_id)
    issued_on = timezone.localdate(datetime.fromisoformat(after))
    expected = {
        "number": f"IETS-{ends.year}-{app_id:06d}",
        "status": "valid",
        "status_display": str(CertificateStatus.VALID.label),
        "kind": "grade",
        "grade": "IETS-3",
        "organization_name": "北京甲科技有限公司",
        "uscc": world.org.uscc,
        "institution": "全国评价机构甲",
        "issued_on": issued_on.isoformat(),
        "expires_on": (issued_on + relativedelta(years=3)).isoformat(),
        "version": 1,
    }
    for q in (
        certificate.number,
        certificate.number.lower(),
        world.org.uscc,
        world.org.uscc.lower(),
        "甲科技",
    ):
        response = public.get("/api/v1/public/certificates/", {"q": q})
        assert response.status_code == 200, q
        results = response.json()["results"]
        assert [{k: v for k, v in r.items() if k != "status_changed_at"} for r in results] == [
            expected
        ], q
        assert datetime.fromisoformat(results[0]["status_changed_at"]) == datetime.fromisoformat(
            after
        )
    response = public.get(f"/api/v1/public/certificates/{certificate.number}/")
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "status_changed_at"} == expected

    # Every step is in the audit chain, in order.
    assert list(
        AuditEntry.objects.filter(object_type="applications.application", object_id=str(app_id))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "application.create",
        "evidence.add",
        "application.submit",
        "application.accept",
        "application.finish_document_review",
        "application.file_report",
        "application.start_expert_review",
        *["application.expert_declaration", "application.expert_opinion"] * 3,
        "application.confirm",
        "application.objection",
        "objection.dismiss",
        "application.issue",
    ]


# ---- refusals through the API: 409 wrong state, 403 wrong user in scope, 404 out of scope


def test_api_transition_in_the_wrong_state_answers_409_with_a_message(flow, world):
    app = flow.to(flow.draft(), S.DOCUMENT_REVIEW)
    admin = token_client("inst-a")
    entries = AuditEntry.objects.count()

    response = fire(admin, app, "accept", lead_assessor="a-assessor1", assessors=["a-assessor3"])

    assert response.status_code == 409
    assert response.json() == {
        "detail": msg(
            "“%(step)s” is not possible while the application is “%(state)s”.",
            step=STEPS["accept"].label,
            state=S.DOCUMENT_REVIEW.label,
        )
    }
    app.refresh_from_db()
    assert (app.state, AuditEntry.objects.count()) == (S.DOCUMENT_REVIEW, entries)
    assert sorted(app.assessors.values_list("username", flat=True)) == [
        "a-assessor1",
        "a-assessor2",
    ]


def test_api_transition_by_a_user_in_scope_who_may_not_fire_it_answers_403(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    applicant = token_client("applicant")

    response = fire(
        applicant, app, "accept", lead_assessor="a-assessor1", assessors=["a-assessor2"]
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": msg("You may not “%(step)s” on this application.", step=STEPS["accept"].label)
    }
    app.refresh_from_db()
    assert app.state == S.SUBMITTED


@pytest.mark.parametrize(
    ("username", "name", "state"),
    [
        ("applicant-b", "withdraw", S.SUBMITTED),
        ("inst-b", "accept", S.SUBMITTED),
        ("inst-local", "refuse", S.SUBMITTED),
        ("inst-a", "withdraw", S.DRAFT),
        ("a-assessor3", "finish_document_review", S.DOCUMENT_REVIEW),
        ("b-assessor1", "file_report", S.ONSITE_REVIEW),
        ("expert1", "confirm", S.REPORTED),
    ],
)
def test_api_application_outside_the_callers_scope_answers_404(flow, world, username, name, state):
    app = flow.to(flow.draft(), state)
    client = token_client(username)
    entries = AuditEntry.objects.count()

    assert client.get(url(app)).status_code == 404
    response = fire(
        client,
        app,
        name,
        reason="理由",
        lead_assessor="b-assessor1",
        assessors=["b-assessor2"],
        notes="备注",
        final_grade="IETS-3",
        **REPORT,
    )
    assert response.status_code == 404
    assert (
        client.post(
            url(app, "expert-opinion/"),
            {"opinion": "同意。", "approves": True, "recommended_grade": "IETS-3"},
            format="json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/applications/").json()["results"] == []
    app.refresh_from_db()
    assert (app.state, AuditEntry.objects.count()) == (state, entries)


def test_api_expert_outside_the_panel_gets_404(flow, world):
    outsider = UserFactory(expert=True, username="expert9")
    app = flow.to(flow.draft(), S.EXPERT_REVIEW)  # panel: expert1–expert3
    client = token_client(outsider.username)

    assert client.get(url(app)).status_code == 404
    assert (
        client.post(
            url(app, "expert-opinion/"),
            {"opinion": "同意。", "approves": True, "recommended_grade": "IETS-3"},
            format="json",
        ).status_code
        == 404
    )


def test_api_unknown_transition_answers_404(flow, world):
    app = flow.draft()
    client = token_client("applicant")

    response = client.post(url(app, "transitions/approve/"), {}, format="json")

    assert response.status_code == 404
    app.refresh_from_db()
    assert app.state == S.DRAFT


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scores": {**REPORT["scores"], "B1": "abc"}}, "scores.B1"),
        ({"scores": {**REPORT["scores"], "T2": "10.01"}}, "scores.T2"),
        ({"scores": {**REPORT["scores"], "S3": -0.5}}, "scores.S3"),
        ({"scores": {**REPORT["scores"], "X9": "5"}}, "scores"),
        ({"scores": "8"}, "scores"),
        ({"comments": {**REPORT["comments"], "O4": " "}}, "comments.O4"),
        ({"recommended_grade": "IETS-9"}, "recommended_grade"),
        ({"recommended_grade": "IETS-1"}, "grade_override_reason"),
    ],
)
def test_api_file_report_with_bad_data_answers_400_and_stores_nothing(flow, world, change, field):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)
    lead = token_client("a-assessor1")
    entries = AuditEntry.objects.count()

    response = fire(lead, app, "file_report", **{**REPORT, **change})

    assert response.status_code == 400
    assert response.json()["field"] == field
    app.refresh_from_db()
    assert (app.state, app.score_basic, app.recommended_grade, AuditEntry.objects.count()) == (
        S.ONSITE_REVIEW,
        None,
        "",
        entries,
    )
    assert not CriterionScore.objects.filter(application=app).exists()


def test_api_file_report_with_form_data_takes_dotted_criterion_fields(flow, world):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)
    lead = token_client("a-assessor1")
    data = {k: v for k, v in REPORT.items() if k not in {"scores", "comments"}}
    data |= {f"scores.{code}": v for code, v in REPORT["scores"].items()}
    data |= {f"comments.{code}": v for code, v in REPORT["comments"].items()}

    response = lead.post(url(app, "transitions/file_report/"), data)

    assert response.status_code == 200, response.content
    assert (response.json()["total_score"], response.json()["recommended_grade"]) == (
        "75.00",
        "IETS-3",
    )


def test_api_accept_with_form_data_assigns_a_list_of_assessors(flow, world):
    app = flow.to(flow.draft(), S.SUBMITTED)
    admin = token_client("inst-a")

    response = admin.post(
        url(app, "transitions/accept/"),
        {"lead_assessor": "a-assessor1", "assessors": ["a-assessor2", "a-assessor3"]},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    assert sorted(response.json()["assessors"]) == ["a-assessor1", "a-assessor2", "a-assessor3"]


@pytest.mark.parametrize(
    "data",
    [
        {"lead_assessor": "a-assessor1"},
        {"lead_assessor": "a-assessor1", "assessors": ["b-assessor1"]},
    ],
)
def test_api_accept_without_a_valid_team_answers_400(flow, world, data):
    app = flow.to(flow.draft(), S.SUBMITTED)
    admin = token_client("inst-a")

    response = fire(admin, app, "accept", **data)

    assert (response.status_code, response.json()["field"]) == (400, "assessors")
    app.refresh_from_db()
    assert (app.state, list(app.assessors.all())) == (S.SUBMITTED, [])


@pytest.mark.parametrize("name", ["refuse", "return_to_applicant"])
def test_api_transition_without_its_reason_answers_400(flow, world, name):
    app = flow.to(flow.draft(), S.SUBMITTED)
    admin = token_client("inst-a")

    response = fire(admin, app, name, reason="")

    assert response.status_code == 400
    assert response.json() == {
        "detail": msg("%(field)s is required.", field=gettext("Reason")),
        "field": "reason",
    }
    app.refresh_from_db()
    assert app.state == S.SUBMITTED


def test_api_issue_before_the_window_ends_answers_409(flow, world):
    app = flow.draft()
    flow.to(app, S.EXPERT_REVIEW)
    center = token_client("center")
    for expert in world.experts:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=timezone.now(),
            approves=True,
            recommended_grade="IETS-3",
            opinion="同意。",
        )
    assert fire(center, app, "confirm", final_grade="IETS-3").status_code == 200

    response = fire(center, app, "issue")

    assert response.status_code == 409
    assert response.json() == {"detail": msg("The publicity period has not ended yet.")}
    assert Certificate.objects.count() == 0


def test_api_objection_after_the_window_answers_409(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)  # publicity of March 2026, long over
    assert app.publicity_ends_at < timezone.now()

    response = APIClient().post(
        f"/api/v1/public/publicity/{app.pk}/objections/",
        {"name": "张三", "contact": "13800000000", "reason": "异议。"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": msg("The publicity period has ended; objections are closed.")
    }
    assert app.objections.count() == 0


def test_api_objection_to_an_entry_not_in_publicity_answers_404(flow, world):
    app = flow.to(flow.draft(), S.REPORTED)

    response = APIClient().post(
        f"/api/v1/public/publicity/{app.pk}/objections/",
        {"name": "张三", "contact": "13800000000", "reason": "异议。"},
        format="json",
    )

    assert response.status_code == 404
    assert app.objections.count() == 0


# ---- public certificate lookup


def test_public_certificate_lookup_needs_a_query_and_finds_nothing_else(flow, world):
    flow.to(flow.draft(), S.ISSUED)
    public = APIClient()

    assert public.get("/api/v1/public/certificates/").status_code == 400
    assert public.get("/api/v1/public/certificates/", {"q": "  "}).status_code == 400
    assert public.get("/api/v1/public/certificates/", {"q": "x" * 101}).status_code == 400
    assert public.get("/api/v1/public/certificates/", {"q": "乙科技"}).json()["results"] == []
    assert public.get("/api/v1/public/certificates/IETS-1999-000001/").status_code == 404


def test_public_certificate_lookup_by_name_lists_every_match(flow, world):
    first = flow.to(flow.draft(), S.ISSUED)
    second = flow.to(flow.draft(world.other_applicant), S.ISSUED)

    response = APIClient().get("/api/v1/public/certificates/", {"q": "科技有限公司"})

    assert response.status_code == 200
    assert sorted(r["number"] for r in response.json()["results"]) == sorted(
        [first.certificate.number, second.certificate.number]
    )


# ---- OpenAPI


def test_openapi_schema_lists_the_transitions_path(db):
    response = APIClient().get("/api/v1/schema/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/applications/{id}/transitions/{name}/:" in text
    assert "/api/v1/public/certificates/{number}/:" in text


def test_openapi_docs_page_is_served(db):
    response = APIClient().get("/api/v1/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
