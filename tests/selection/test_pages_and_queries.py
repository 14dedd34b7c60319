"""The self-evaluation and selection pages: strict CSP with no inline code, and the query
count of every list and of the comparison is the same for 1 item and for 5 (no N+1)."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from selection import services
from tests.conftest import T0, pdf_upload, timedelta
from tests.factories import OrganizationFactory, UserFactory
from tests.test_pages import csp_directives, inline_code

from .conftest import WEIGHTS, completed_run


def _client(user, api=False):
    client = APIClient()
    if api:
        client.force_authenticate(user)
    else:
        client.force_login(user)
    return client


def test_pages_have_a_strict_csp_and_no_inline_code(world, flow):
    flow.to(flow.draft(world.other_applicant), S.ISSUED, now=T0)
    run = completed_run(world.other_applicant, fraction=Decimal("0.7"), title="乙自评")
    draft = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    services.self_evaluation_evidence_add(
        actor=world.applicant, evaluation_id=draft.pk, upload=pdf_upload(), code="B1", now=T0
    )
    completed_run(world.applicant, fraction=Decimal("0.6"), now=T0 + timedelta(days=1))
    project = services.selection_create(
        actor=world.applicant, title="采购", weights=WEIGHTS, min_grade="IETS-4", now=T0
    )
    cand = services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    services.candidate_answer(
        actor=world.other_applicant,
        candidate_id=cand.pk,
        accept=True,
        sharing="self_evaluation",
        self_evaluation_id=run.pk,
        now=T0,
    )
    pages = {
        "runs": (world.applicant, "/self-evaluations/"),
        "draft run": (world.applicant, f"/self-evaluations/{draft.pk}/"),
        "completed run": (world.other_applicant, f"/self-evaluations/{run.pk}/"),
        "selections": (world.applicant, "/selections/"),
        "comparison": (world.applicant, f"/selections/{project.pk}/"),
        "invitation": (world.other_applicant, f"/selections/invitations/{cand.pk}/"),
    }
    got = {}
    for name, (user, url) in pages.items():
        response = _client(user).get(url)
        csp = csp_directives(response)
        html = response.content.decode()
        got[name] = (
            response.status_code,
            csp["script-src"],
            csp["style-src"],
            inline_code(html),
            html.count('method="post"') == html.count('name="csrfmiddlewaretoken"'),
        )
    assert got == dict.fromkeys(pages, (200, ["'self'"], ["'self'"], [], True))


def _measure(lists):
    out = {}
    for name, (client, url) in lists.items():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (name, response.content[:300])
        out[name] = len(ctx.captured_queries)
    return out


def test_lists_and_comparison_query_count_is_the_same_for_one_and_five(world, flow):
    project = services.selection_create(
        actor=world.applicant, title="采购", weights=WEIGHTS, requires_innovation=True, now=T0
    )
    invited = []

    def add(i):
        completed_run(world.applicant, fraction=Decimal("0.5"), now=T0 + timedelta(days=i))
        org = OrganizationFactory(name=f"候选{i}科技有限公司")
        user = UserFactory(organization=org, username=f"cand{i}")
        flow.to(flow.draft(user), S.ISSUED, now=T0)
        shared = completed_run(user, fraction=Decimal("0.8"))
        cand = services.selection_invite(
            actor=world.applicant, project_id=project.pk, organization_id=org.pk, now=T0
        )
        services.candidate_answer(
            actor=user,
            candidate_id=cand.pk,
            accept=True,
            sharing="self_evaluation",
            self_evaluation_id=shared.pk,
            now=T0,
        )
        services.selection_create(actor=world.applicant, title=f"采购{i}", weights=WEIGHTS, now=T0)
        buyer_project = services.selection_create(
            actor=user, title=f"回邀{i}", weights=WEIGHTS, now=T0
        )
        invited.append(
            services.selection_invite(
                actor=user, project_id=buyer_project.pk, organization_id=world.org.pk, now=T0
            )
        )

    html, api = _client(world.applicant), _client(world.applicant, api=True)
    lists = {
        "runs page": (html, "/self-evaluations/"),
        "runs api": (api, "/api/v1/self-evaluations/"),
        "selections page": (html, "/selections/"),
        "selections api": (api, "/api/v1/selections/"),
        "invitations api": (api, "/api/v1/selection-invitations/"),
        "comparison page": (html, f"/selections/{project.pk}/"),
        "comparison api": (api, f"/api/v1/selections/{project.pk}/"),
        "comparison csv": (html, f"/selections/{project.pk}/export.csv"),
    }
    add(1)
    one = _measure(lists)
    for i in range(2, 6):
        add(i)
    five = _measure(lists)
    assert five == one
    body = api.get(f"/api/v1/selections/{project.pk}/").json()
    assert len(body["comparison"]) == 5
    assert api.get("/api/v1/selection-invitations/").json()["count"] == 5
