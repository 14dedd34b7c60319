"""Cases (M§23–26): filing, the receipt code, investigation, decision and its actions."""

from datetime import timedelta

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates.enums import CertificateStatus
from certificates.models import Certificate
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from ietsportal.notifications.models import Notification
from supervision import services
from supervision.models import Case, CaseEvidence, CaseNote

from ..conftest import T0, pdf_upload


def api(user=None):
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def issued(world, flow):
    app = flow.to(flow.draft(), S.ISSUED, now=T0)
    return Certificate.objects.get(application=app)


def file_complaint(world, app, **kw):
    return services.case_file(
        actor=world.applicant,
        kind=kw.pop("kind", "complaint"),
        subject_kind="application",
        reference=app.number,
        summary=kw.pop("summary", "评价拖延"),
        details=kw.pop("details", "机构未按期开展现场评审。"),
        now=T0 + timedelta(days=1),
        **kw,
    )


def test_case_file_by_applicant_records_notifies_and_sets_deadline(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, code = file_complaint(world, app, evidence=[pdf_upload()])
    assert (case.number, case.state, case.kind, case.filer, code) == (
        f"AJ2026{case.pk:06d}",
        "received",
        "complaint",
        world.applicant,
        "",
    )
    assert case.application == app
    assert case.deadline == (T0 + timedelta(days=31)).date()
    assert [e.original_name for e in case.evidence.all()] == ["证明材料.pdf"]
    assert AuditEntry.objects.filter(action="case.file", object_id=str(case.pk)).count() == 1
    assert set(
        Notification.objects.filter(key__startswith="case.").values_list(
            "recipient__username", "key"
        )
    ) == {("center", "case.received"), ("applicant", "case.filed")}


def test_case_file_about_an_application_the_filer_cannot_see_is_400_nothing_stored(
    world, flow, settings
):
    other = flow.draft(world.other_applicant)
    flow.fire(other, "submit", world.other_applicant)
    with pytest.raises(InvalidInput) as err:
        file_complaint(world, other, evidence=[pdf_upload()])
    assert str(err.value.message) == f"您无权查看编号为“{other.number}”的评价申请。"
    assert Case.objects.count() == CaseEvidence.objects.count() == 0
    media = settings.MEDIA_ROOT / "cases"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("summary", "", "请填写概要。"),
        ("summary", "  \u3000 ", "请填写概要。"),
        ("summary", ["评价拖延"], "概要必须为文本。"),
        ("summary", "x" * 201, "概要超过 200 个字符。"),
        ("details", "拖延\x00", "文本中含有 NUL 字符。"),
        ("filer_contact", "c" * 201, "联系方式超过 200 个字符。"),
    ],
)
def test_case_file_with_a_bad_text_is_400_nothing_stored(world, flow, field, value, message):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    with pytest.raises(InvalidInput) as err:
        file_complaint(world, app, **{field: value})
    assert (err.value.field, str(err.value.message)) == (field, message)
    assert Case.objects.count() == AuditEntry.objects.filter(action="case.file").count() == 0


def test_case_file_api_other_tenant_application_is_400(world, flow):
    other = flow.draft(world.other_applicant)
    response = api(world.applicant).post(
        "/api/v1/cases/",
        {
            "kind": "complaint",
            "subject_kind": "application",
            "reference": other.number,
            "summary": "x",
            "details": "y",
        },
        format="json",
    )
    assert (response.status_code, response.json()["field"]) == (400, "reference")
    assert Case.objects.count() == 0


def test_case_reconsideration_of_a_certificate_points_to_m20(world, issued):
    with pytest.raises(InvalidInput) as err:
        services.case_file(
            actor=world.applicant,
            kind="reconsideration",
            subject_kind="certificate",
            reference=issued.number,
            summary="复议",
            details="请求复议。",
            now=T0,
        )
    assert "M§20" in str(err.value.message)


def test_case_reconsideration_needs_a_result_and_the_applicant(world, flow, issued):
    draft = flow.draft()
    flow.fire(draft, "submit", world.applicant)
    with pytest.raises(Conflict):
        services.case_file(
            actor=world.applicant,
            kind="reconsideration",
            subject_kind="application",
            reference=draft.number,
            summary="复议",
            details="请求复议。",
            now=T0,
        )
    with pytest.raises(InvalidInput):
        services.case_file(
            actor=world.inst_admin,
            kind="reconsideration",
            subject_kind="application",
            reference=issued.application.number,
            summary="复议",
            details="请求复议。",
            now=T0,
        )
    case, _ = services.case_file(
        actor=world.applicant,
        kind="reconsideration",
        subject_kind="application",
        reference=issued.application.number,
        summary="复议",
        details="对评价结果有异议。",
        now=T0,
    )
    assert case.kind == "reconsideration"


def test_public_report_receipt_code_follows_the_case_to_its_reply(world, issued):
    client = APIClient()
    response = client.post(
        "/api/v1/public/reports/",
        {
            "subject_kind": "certificate",
            "reference": issued.number,
            "summary": "证书冒用",
            "details": "该单位冒用他人证书。",
        },
        format="json",
    )
    assert response.status_code == 201
    code = response.json()["receipt_code"]
    case = Case.objects.get()
    assert (case.filer, case.kind, len(code)) == (None, "report", 24)
    assert code.replace("-", "") not in case.receipt_hash
    assert case.receipt_hash == services.receipt_hash(code)

    services.case_start(case_id=case.pk, actor=world.center, now=T0 + timedelta(days=2))
    services.case_note_add(
        case_id=case.pk, actor=world.center, text="内部：核查中。", internal=True, now=T0
    )
    services.case_decide(
        case_id=case.pk,
        actor=world.center,
        upheld=True,
        reply="经核查，举报属实，已暂停证书。",
        actions=["suspend_certificate"],
        now=T0 + timedelta(days=3),
    )
    issued.refresh_from_db()
    assert issued.status == CertificateStatus.SUSPENDED

    got = client.post(
        "/api/v1/public/reports/receipt/", {"code": code.lower()}, format="json"
    ).json()
    assert (got["state"], got["reply"], got["notes"]) == (
        "upheld",
        "经核查，举报属实，已暂停证书。",
        [],
    )
    html = client.post("/supervision/receipt/", {"code": code})
    assert html.status_code == 200
    assert "经核查，举报属实" in html.content.decode()
    assert "内部" not in html.content.decode()


def test_receipt_forged_code_is_404_and_says_so(world, issued):
    services.case_file(
        actor=None,
        kind="report",
        subject_kind="certificate",
        reference=issued.number,
        summary="s",
        details="d",
        now=T0,
    )
    client = APIClient()
    for code in ("ABCD-EFGH-JKLM-NPQR-STUV", "short", "x" * 40):
        response = client.post(
            "/api/v1/public/reports/receipt/",
            {"code": code},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 404
        assert response.json()["detail"] == (
            "No case has this receipt code. Check the code and try again."
        )
    html = client.post("/supervision/receipt/", {"code": "ABCD-EFGH-JKLM-NPQR-STUV"})
    assert html.status_code == 404


def test_receipt_lookup_is_rate_limited(world, settings):
    settings.PUBLIC_LOOKUP_RATE = "3/m"
    client = APIClient()
    codes = [
        client.post(
            "/api/v1/public/reports/receipt/", {"code": "A" * 20}, format="json"
        ).status_code
        for _ in range(4)
    ]
    assert codes == [404, 404, 404, 429]
    html = [client.post("/supervision/receipt/", {"code": "A" * 20}).status_code for _ in range(4)]
    assert html == [404, 404, 404, 429]


def test_anonymous_may_file_only_reports(world, issued):
    with pytest.raises(NotPermitted):
        services.case_file(
            actor=None,
            kind="complaint",
            subject_kind="certificate",
            reference=issued.number,
            summary="s",
            details="d",
            now=T0,
        )
    assert Case.objects.count() == 0


@pytest.mark.parametrize("reference", ["不存在的机构", "99999999999999999999", "²", "0"])
def test_public_report_about_an_unknown_subject_is_400_nothing_stored(world, reference):
    response = APIClient().post(
        "/api/v1/public/reports/",
        {
            "subject_kind": "institution",
            "reference": reference,
            "summary": "s",
            "details": "d",
        },
        format="json",
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_case_decide_reopens_the_evaluation_in_publicity(world, flow):
    app = flow.to(flow.draft(), S.PUBLICITY, now=T0)
    case, _ = file_complaint(world, app)
    services.case_start(case_id=case.pk, actor=world.center, now=T0 + timedelta(days=2))
    services.case_decide(
        case_id=case.pk,
        actor=world.center,
        upheld=True,
        reply="投诉成立，重新组织专家评审。",
        actions=["reopen_evaluation"],
        now=T0 + timedelta(days=3),
    )
    app.refresh_from_db()
    case.refresh_from_db()
    assert (app.state, case.state, case.actions) == (
        S.EXPERT_REVIEW,
        "upheld",
        [{"action": "reopen_evaluation", "application": app.number, "transition": "reopen_review"}],
    )


def test_case_decide_with_an_impossible_action_decides_nothing(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, _ = file_complaint(world, app)
    services.case_start(case_id=case.pk, actor=world.center, now=T0)
    with pytest.raises(Conflict):
        services.case_decide(
            case_id=case.pk,
            actor=world.center,
            upheld=True,
            reply="成立。",
            actions=["reopen_evaluation"],
            now=T0,
        )
    case.refresh_from_db()
    assert (case.state, case.reply, case.decided_at) == ("in_progress", "", None)
    with pytest.raises(InvalidInput):
        services.case_decide(
            case_id=case.pk,
            actor=world.center,
            upheld=True,
            reply="成立。",
            actions=["suspend_institution"],  # the case is about an application
            now=T0,
        )


def test_case_reply_to_a_closed_case_is_409_nothing_stored(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, _ = file_complaint(world, app)
    services.case_start(case_id=case.pk, actor=world.center, now=T0)
    services.case_decide(
        case_id=case.pk, actor=world.center, upheld=False, reply="不成立。", now=T0
    )
    response = api(world.applicant).post(
        f"/api/v1/cases/{case.pk}/notes/", {"text": "我不服。"}, format="json"
    )
    assert response.status_code == 409
    with pytest.raises(Conflict):
        services.case_decide(
            case_id=case.pk, actor=world.center, upheld=True, reply="改判。", now=T0
        )
    assert CaseNote.objects.count() == 0


def test_case_internal_notes_never_reach_the_filer(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, _ = file_complaint(world, app)
    for actor, text, internal in [
        (world.center, "内部意见", True),
        (world.center, "请补充材料", False),
        (world.applicant, "已补充", True),  # a filer cannot write internal notes
    ]:
        services.case_note_add(case_id=case.pk, actor=actor, text=text, internal=internal, now=T0)
    notes = api(world.applicant).get(f"/api/v1/cases/{case.pk}/").json()["notes"]
    assert [(n["text"], n["internal"]) for n in notes] == [("请补充材料", False), ("已补充", False)]
    center_notes = api(world.center).get(f"/api/v1/cases/{case.pk}/").json()["notes"]
    assert [n["text"] for n in center_notes] == ["内部意见", "请补充材料", "已补充"]
    client = APIClient()
    client.force_login(world.applicant)
    page = client.get(f"/supervision/cases/{case.pk}/").content.decode()
    assert ("请补充材料" in page, "内部意见" in page) == (True, False)


def test_case_only_center_takes_and_decides(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, _ = file_complaint(world, app)
    with pytest.raises(NotPermitted):
        services.case_start(case_id=case.pk, actor=world.applicant, now=T0)
    with pytest.raises(NotFound):
        services.case_start(case_id=case.pk, actor=world.inst_admin, now=T0)
    with pytest.raises(Conflict):
        services.case_decide(case_id=case.pk, actor=world.center, upheld=False, reply="x", now=T0)


def test_case_pages_and_api_are_404_for_other_tenants(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, _ = file_complaint(world, app, evidence=[pdf_upload()])
    evidence = case.evidence.get()
    got = {}
    for who in ("applicant", "center", "other_applicant", "inst_admin", "other_admin"):
        user = getattr(world, who)
        html = APIClient()
        html.force_login(user)
        got[who] = (
            html.get(f"/supervision/cases/{case.pk}/").status_code,
            html.get(f"/supervision/cases/{case.pk}/evidence/{evidence.pk}/").status_code,
            html.post(f"/supervision/cases/{case.pk}/note/", {"text": "x"}).status_code,
            api(user).get(f"/api/v1/cases/{case.pk}/").status_code,
            api(user).post(f"/api/v1/cases/{case.pk}/notes/", {"text": "x"}).status_code,
        )
    assert got == {
        "applicant": (200, 200, 302, 200, 201),
        "center": (200, 200, 302, 200, 201),
        "other_applicant": (404, 404, 404, 404, 404),
        "inst_admin": (404, 404, 404, 404, 404),
        "other_admin": (404, 404, 404, 404, 404),
    }


def test_case_html_journey_for_center(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    applicant = APIClient()
    applicant.force_login(world.applicant)
    response = applicant.post(
        "/supervision/cases/new/",
        {
            "kind": "appeal",
            "subject_kind": "application",
            "reference": app.number,
            "summary": "机构违规",
            "details": "机构要求额外收费。",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    center = APIClient()
    center.force_login(world.center)
    assert center.post(f"/supervision/cases/{case.pk}/start/", {"owner": ""}).status_code == 302
    response = center.post(
        f"/supervision/cases/{case.pk}/decide/", {"upheld": "false", "reply": "申诉不成立。"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.owner, case.reply) == ("dismissed", world.center, "申诉不成立。")
    page = applicant.get(f"/supervision/cases/{case.pk}/").content.decode()
    assert "申诉不成立。" in page
    assert Notification.objects.filter(recipient=world.applicant, key="case.dismissed").exists()
    # A second decision is refused with a message.
    again = center.post(
        f"/supervision/cases/{case.pk}/decide/", {"upheld": "true", "reply": "改判。"}
    )
    assert again.status_code == 409


def test_case_list_query_count_is_constant(world, flow, django_assert_max_num_queries):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    client = APIClient()
    client.force_login(world.center)
    file_complaint(world, app)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get("/supervision/cases/").status_code == 200
    for _ in range(5):
        file_complaint(world, app)
    with CaptureQueriesContext(connection) as six:
        assert client.get("/supervision/cases/").status_code == 200
    assert len(six) == len(one)


def test_case_list_points_the_center_to_forwarded_certificate_reconsiderations(world, issued):
    from certificates import services as cert

    cert.certificate_revoke(number=issued.number, actor=world.center, reason="撤销。", now=T0)
    decision = issued.decisions.get()
    cert.certificate_decision_relay(decision_id=decision.pk, actor=world.inst_admin, now=T0)
    r = cert.reconsideration_file(
        decision_id=decision.pk, actor=world.applicant, grounds="理由。", now=T0
    )
    center = APIClient()
    center.force_login(world.center)
    link = f'href="/certificates/{issued.number}/"'
    assert link not in center.get("/supervision/cases/").content.decode()
    cert.reconsideration_forward(
        reconsideration_id=r.pk, actor=world.inst_admin, note="转呈。", now=T0
    )
    assert link in center.get("/supervision/cases/").content.decode()
    applicant = APIClient()
    applicant.force_login(world.applicant)
    assert link not in applicant.get("/supervision/cases/").content.decode()


def test_case_start_with_a_huge_owner_id_is_400(world, flow):
    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    case, _ = file_complaint(world, app)
    response = api(world.center).post(
        f"/api/v1/cases/{case.pk}/start/", {"owner": 2**70}, format="json"
    )
    assert response.status_code == 400
    response = api(world.center).post(
        f"/api/v1/cases/{case.pk}/start/", {"owner": world.applicant.pk}, format="json"
    )
    assert (response.status_code, response.json()["field"]) == (400, "owner")


def test_case_api_multipart_evidence_and_refusals(world, flow):
    from django.core.files.uploadedfile import SimpleUploadedFile

    app = flow.draft()
    flow.fire(app, "submit", world.applicant)
    client = api(world.applicant)
    data = {
        "kind": "complaint",
        "subject_kind": "application",
        "reference": app.number,
        "summary": "s",
        "details": "d",
    }
    response = client.post(
        "/api/v1/cases/", {**data, "evidence": [pdf_upload(), pdf_upload("b.pdf")]}
    )
    assert response.status_code == 201
    assert [e["original_name"] for e in response.json()["evidence"]] == ["证明材料.pdf", "b.pdf"]
    fake = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    assert client.post("/api/v1/cases/", {**data, "evidence": [fake]}).status_code == 415
    assert Case.objects.count() == 1 and CaseEvidence.objects.count() == 2


@pytest.mark.parametrize("target", ["institution", "assessor"])
def test_an_upheld_case_suspends_the_institution_or_assessor_it_concerns(world, target):
    """R§16 through the institutions app's own services: state, history and audit."""
    from institutions.enums import AssessorState, InstitutionState
    from institutions.models import SupervisionAction

    subject = world.inst if target == "institution" else world.inst.assessors.first()
    reference = str(subject.pk) if target == "institution" else subject.registration_number
    case, _ = services.case_file(
        actor=world.applicant,
        kind="complaint",
        subject_kind=target,
        reference=reference,
        summary="违规评价",
        details="未按规定开展现场评审。",
        now=T0,
    )
    services.case_start(case_id=case.pk, actor=world.center, now=T0)
    services.case_decide(
        case_id=case.pk,
        actor=world.center,
        upheld=True,
        reply="经核查属实，暂停其评价工作。",
        actions=[f"suspend_{target}"],
        now=T0 + timedelta(days=2),
    )
    subject.refresh_from_db()
    suspended = InstitutionState.SUSPENDED if target == "institution" else AssessorState.SUSPENDED
    assert subject.state == suspended
    action = SupervisionAction.objects.get()
    assert (action.kind, action.grounds, action.explanation) == (
        "suspend",
        "rules",
        "经核查属实，暂停其评价工作。",
    )
    assert case.number in action.evidence
