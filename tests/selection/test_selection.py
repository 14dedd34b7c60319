"""M§5 supplier selection: weights, requirements, candidates and answers, the comparison with
live certificates from the register, the weighted ranking, exports and the decision."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates import services as cert_services
from certificates.models import Certificate
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound
from selection import services
from selection.models import Candidate, SelectionProject
from selection.selectors import comparison, weighted_score
from tests.conftest import T0, timedelta
from tests.factories import OrganizationFactory, UserFactory, make_uscc

from .conftest import WEIGHTS, completed_run

TODAY = date(2026, 6, 1)


def test_selection_create_refuses_weights_that_do_not_add_up(world):
    with pytest.raises(InvalidInput, match="add up to 100; they add up to 90") as exc:
        services.selection_create(
            actor=world.applicant,
            title="采购",
            weights={"basic": 10, "technical": 40, "service": 20, "operational": 20},
            now=T0,
        )
    assert exc.value.field == "weights"
    with pytest.raises(InvalidInput, match="whole number"):
        services.selection_create(
            actor=world.applicant,
            title="采购",
            weights={"basic": "x", "technical": 40, "service": 40, "operational": 20},
            now=T0,
        )
    assert SelectionProject.objects.count() == 0


def test_selection_invite_by_uscc_explains_unknown_and_invalid_codes(world, project):
    unknown = make_uscc()
    while unknown in {world.org.uscc, world.other_org.uscc, world.assoc_org.uscc}:
        unknown = make_uscc()
    with pytest.raises(InvalidInput, match="registered on the portal") as exc:
        services.selection_invite(
            actor=world.applicant, project_id=project.pk, uscc=unknown, now=T0
        )
    assert exc.value.field == "uscc"
    with pytest.raises(InvalidInput, match="not a valid unified social credit code"):
        services.selection_invite(
            actor=world.applicant, project_id=project.pk, uscc="91110108MA01234567", now=T0
        )
    candidate = services.selection_invite(
        actor=world.applicant, project_id=project.pk, uscc=world.other_org.uscc.lower(), now=T0
    )
    assert candidate.organization_id == world.other_org.pk
    with pytest.raises(Conflict, match="already a candidate"):
        services.selection_invite(
            actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
        )
    with pytest.raises(InvalidInput, match="own organisation"):
        services.selection_invite(
            actor=world.applicant, project_id=project.pk, organization_id=world.org.pk, now=T0
        )


def test_candidate_answer_twice_is_a_conflict(world, project):
    candidate = services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    services.candidate_answer(
        actor=world.other_applicant, candidate_id=candidate.pk, accept=False, now=T0
    )
    with pytest.raises(Conflict, match="already answered"):
        services.candidate_answer(
            actor=world.other_applicant,
            candidate_id=candidate.pk,
            accept=True,
            sharing="certificate",
            now=T0,
        )
    assert Candidate.objects.get(pk=candidate.pk).state == "declined"


def test_candidate_cannot_share_a_withdrawn_or_draft_or_foreign_self_evaluation(world, project):
    candidate = services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    withdrawn = completed_run(world.other_applicant)
    services.self_evaluation_withdraw(
        actor=world.other_applicant, evaluation_id=withdrawn.pk, now=T0
    )
    draft = services.self_evaluation_create(actor=world.other_applicant, kind="grade", now=T0)
    foreign = completed_run(world.assoc_applicant)
    for run, message in [
        (withdrawn, "withdrawn self-evaluation cannot be shared"),
        (draft, "Complete the self-evaluation"),
        (foreign, "Choose one of your self-evaluations"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            services.candidate_answer(
                actor=world.other_applicant,
                candidate_id=candidate.pk,
                accept=True,
                sharing="self_evaluation",
                self_evaluation_id=run.pk,
                now=T0,
            )
    assert Candidate.objects.get(pk=candidate.pk).state == "invited"


def test_candidate_answers_only_its_own_invitation(world, project):
    candidate = services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    for user in (world.applicant, world.assoc_applicant):
        with pytest.raises(NotFound):
            services.candidate_answer(actor=user, candidate_id=candidate.pk, accept=False, now=T0)


@pytest.fixture
def three(world, flow, project):
    """Candidates: B shares a completed self-evaluation (80 %) and holds a valid IETS-3
    certificate; C (北京丙) holds a suspended certificate and shares only it, keeping its own
    completed self-evaluation private; D has not answered."""
    flow.to(flow.draft(world.other_applicant), S.ISSUED, now=T0)
    c_org = OrganizationFactory(name="北京丙科技有限公司")
    c_user = UserFactory(organization=c_org, username="applicant-c")
    flow.to(flow.draft(c_user), S.ISSUED, now=T0)
    cert_c = Certificate.objects.get(organization=c_org)
    cert_services.certificate_suspend(
        number=cert_c.number, actor=world.center, reason="暂停。", now=T0 + timedelta(days=20)
    )
    d_org = OrganizationFactory(name="北京丁科技有限公司")
    run_b = completed_run(world.other_applicant, fraction=Decimal("0.8"))
    secret = completed_run(c_user, fraction=Decimal("0.9"), title="SECRET-C")
    cands = {}
    for key, org in (("B", world.other_org), ("C", c_org), ("D", d_org)):
        cands[key] = services.selection_invite(
            actor=world.applicant, project_id=project.pk, organization_id=org.pk, now=T0
        )
    services.candidate_answer(
        actor=world.other_applicant,
        candidate_id=cands["B"].pk,
        accept=True,
        sharing="self_evaluation",
        self_evaluation_id=run_b.pk,
        now=T0,
    )
    services.candidate_answer(
        actor=c_user,
        candidate_id=cands["C"].pk,
        accept=True,
        sharing="certificate",
        now=T0,
    )
    return {"cands": cands, "run_b": run_b, "secret": secret, "d_org": d_org, "c_user": c_user}


def test_comparison_ranks_shared_scores_first_then_certificates(world, project, three):
    rows = comparison(project, today=TODAY)
    got = [
        (
            r.candidate.organization.name,
            r.rank,
            r.ranked_by,
            r.status,
            r.grade,
            r.weighted,
            [met for _label, met in r.requirements],
        )
        for r in rows
    ]
    weighted_b = weighted_score(
        WEIGHTS, {k: Decimal(v) for k, v in three["run_b"].area_scores.items()}
    )
    assert weighted_b == Decimal("80.00")
    assert got == [
        ("北京乙科技有限公司", 1, "scores", "valid", "IETS-3", weighted_b, [True, True]),
        ("北京丙科技有限公司", 2, "certificate", "suspended", "", None, [False, False]),
        ("北京丁科技有限公司", None, "", "", "", None, [False, False]),
    ]


def test_comparison_reads_live_status_and_validity_from_the_register(world, project, three):
    cert_b = Certificate.objects.get(organization=world.other_org)
    after_expiry = cert_b.expires_on + timedelta(days=1)
    row = next(
        r for r in comparison(project, today=after_expiry) if r.candidate == three["cands"]["B"]
    )
    assert (row.status, row.grade, row.requirements[1][1]) == ("expired", "", False)


def test_comparison_hides_a_self_evaluation_withdrawn_after_sharing(world, project, three):
    services.self_evaluation_withdraw(
        actor=world.other_applicant, evaluation_id=three["run_b"].pk, now=T0
    )
    row = comparison(project, today=TODAY)[0]
    assert (row.shared, row.weighted, row.ranked_by) == (None, None, "certificate")


def test_unshared_self_evaluation_never_reaches_the_buyer(client, world, project, three):
    """Privacy (M§5): C's completed self-evaluation was not shared — page, API, CSV, PDF."""
    secret = three["secret"]
    client.force_login(world.applicant)
    page = client.get(f"/selections/{project.pk}/").content.decode()
    csv_text = client.get(f"/selections/{project.pk}/export.csv").content.decode()
    api = APIClient()
    api.force_authenticate(world.applicant)
    body = api.get(f"/api/v1/selections/{project.pk}/").content.decode()
    pdf = client.get(f"/selections/{project.pk}/export.pdf")
    from tests.certificates.test_pdf import pdf_text as extract

    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    pdf_text = extract(pdf.content)
    secret_total = str(secret.total)  # 90.00
    for text in (page, csv_text, body, pdf_text):
        assert "SECRET-C" not in text
        assert secret_total not in text
    # ... while what was shared does reach it.
    assert "80.00" in page and "80.00" in csv_text and "80.00" in body and "80.00" in pdf_text
    assert client.get(f"/self-evaluations/{secret.pk}/").status_code == 404
    assert api.get(f"/api/v1/self-evaluations/{secret.pk}/").status_code == 404


def test_candidate_never_sees_the_other_candidates(client, world, project, three):
    cand = three["cands"]["B"]
    client.force_login(world.other_applicant)
    page = client.get(f"/selections/invitations/{cand.pk}/").content.decode()
    listing = client.get("/selections/").content.decode()
    api = APIClient()
    api.force_authenticate(world.other_applicant)
    body = api.get("/api/v1/selection-invitations/").content.decode()
    for text in (page, listing, body):
        assert "北京丙科技有限公司" not in text and "北京丁科技有限公司" not in text
    assert "运维服务采购" in page and "IETS-3 或更高等级" in page
    other = three["cands"]["C"]
    assert client.get(f"/selections/invitations/{other.pk}/").status_code == 404
    assert client.get(f"/selections/{project.pk}/").status_code == 404
    assert client.get(f"/selections/{project.pk}/export.csv").status_code == 404
    assert api.get(f"/api/v1/selection-invitations/{other.pk}/").status_code == 404
    assert api.get(f"/api/v1/selections/{project.pk}/").status_code == 404


def test_csv_export_neutralises_formulas(client, world, project):
    evil = OrganizationFactory(name='=HYPERLINK("http://x")')
    services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=evil.pk, now=T0
    )
    client.force_login(world.applicant)
    response = client.get(f"/selections/{project.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[1][2] == '\'=HYPERLINK("http://x")'


def test_decision_is_kept_and_audited(client, world, project, three):
    client.force_login(world.applicant)
    declined_or_pending = three["cands"]["D"]
    response = client.post(
        f"/selections/{project.pk}/decide/", {"candidate": declined_or_pending.pk, "reason": "x"}
    )
    assert response.status_code == 400
    chosen = three["cands"]["B"]
    response = client.post(
        f"/selections/{project.pk}/decide/", {"candidate": chosen.pk, "reason": "综合得分最高。"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.state, project.chosen_id, project.decision_reason) == (
        "decided",
        chosen.pk,
        "综合得分最高。",
    )
    entry = AuditEntry.objects.filter(action="selection.decide").get()
    assert entry.data == {"chosen": "北京乙科技有限公司", "reason": "综合得分最高。"}
    with pytest.raises(Conflict):
        services.selection_invite(
            actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
        )


def test_pages_bad_input_gives_clear_messages_not_500(client, world, project):
    client.force_login(world.applicant)
    response = client.post(
        "/selections/",
        {
            "title": "采购",
            "weight_basic": 50,
            "weight_technical": 50,
            "weight_service": 50,
            "weight_operational": 0,
        },
    )
    assert response.status_code == 400
    assert "150" in response.content.decode()
    response = client.post(f"/selections/{project.pk}/invite/", {"uscc": make_uscc()})
    assert response.status_code == 400
    assert (
        "registered on the portal" in response.content.decode()
        or "平台" in response.content.decode()
    )


def test_api_selection_flow(world, three, project):
    buyer = APIClient()
    buyer.force_authenticate(world.applicant)
    bad = buyer.post(
        "/api/v1/selections/",
        {"title": "t", "weights": {"basic": 1, "technical": 1, "service": 1, "operational": 1}},
        format="json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "weights")
    body = buyer.get(f"/api/v1/selections/{project.pk}/").json()
    assert [r["rank"] for r in body["comparison"]] == [1, 2, None]
    assert body["comparison"][0]["shared_self_evaluation"]["total"] == "80.00"
    assert body["comparison"][1]["shared_self_evaluation"] is None
    unknown = buyer.post(
        f"/api/v1/selections/{project.pk}/candidates/", {"uscc": "bogus"}, format="json"
    )
    assert unknown.status_code == 400
    candidate = APIClient()
    user_d = UserFactory(organization=three["d_org"], username="applicant-d")
    candidate.force_authenticate(user_d)
    inv = three["cands"]["D"]
    first = candidate.post(
        f"/api/v1/selection-invitations/{inv.pk}/answer/",
        {"accept": True, "sharing": "certificate"},
        format="json",
    )
    again = candidate.post(
        f"/api/v1/selection-invitations/{inv.pk}/answer/", {"accept": False}, format="json"
    )
    assert (first.status_code, again.status_code) == (200, 409)
    assert (
        again.json()["detail"] == "该邀请已答复（已接受）。"
    )  # "This invitation was already answered"


def test_selection_history_tells_invitations_answers_and_decision(world, project, three):
    from selection.selectors import selection_history

    services.selection_decide(
        actor=world.applicant,
        project_id=project.pk,
        candidate_id=three["cands"]["B"].pk,
        reason="最好。",
        now=T0,
    )
    history = selection_history(project, list(project.candidates.select_related("organization")))
    assert [str(item["text"]) for item in history] == [
        "Project created by applicant.",
        "北京乙科技有限公司 invited.",
        "北京丙科技有限公司 invited.",
        "北京丁科技有限公司 invited.",
        "北京乙科技有限公司 accepted: Certificate and a completed self-evaluation.",
        "北京丙科技有限公司 accepted: Certificate only.",
        "Decision by applicant: 北京乙科技有限公司.",
    ]


def test_invitation_and_answer_notify_the_other_side(world, project):
    from ietsportal.notifications.models import Notification

    candidate = services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    invited = Notification.objects.get(key="selection.invited")
    assert invited.recipient == world.other_applicant
    assert invited.params == {"buyer": world.org.name, "project": "运维服务采购"}
    assert invited.link == f"/selections/invitations/{candidate.pk}/"

    services.candidate_answer(
        actor=world.other_applicant, candidate_id=candidate.pk, accept=False, now=T0
    )
    answered = Notification.objects.get(key="selection.answered")
    assert answered.recipient == world.applicant
    assert answered.params == {"candidate": world.other_org.name, "project": "运维服务采购"}
    assert answered.link == f"/selections/{project.pk}/"


@pytest.mark.parametrize(
    ("title", "message"),
    [
        (["采购"], "Title must be text."),
        ("采购\x00", "The text contains a NUL character."),
        ("  ", "Title is required."),
        ("采" * 201, "Title is longer than 200 characters."),
    ],
)
def test_selection_texts_are_checked_by_the_services_one_check(world, title, message):
    """The selection services take their texts through `ietsportal.errors.text_value`: a
    non-text value (an API client's list, say) is a 400 on its field, not a 500, and nothing is
    stored."""
    with pytest.raises(InvalidInput) as exc:
        services.selection_create(actor=world.applicant, title=title, weights=WEIGHTS, now=T0)
    assert (exc.value.field, str(exc.value.message)) == ("title", message)
    assert SelectionProject.objects.count() == 0


def test_selection_decision_needs_its_reason(world, project):
    with pytest.raises(InvalidInput) as exc:
        services.selection_decide(
            actor=world.applicant, project_id=project.pk, candidate_id=None, reason=" ", now=T0
        )
    assert (exc.value.field, str(exc.value.message)) == (
        "reason",
        "Reason for the decision is required.",
    )
    assert SelectionProject.objects.get(pk=project.pk).decided_at is None
