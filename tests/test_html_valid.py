"""Issue 10, valid: the Nu HTML Checker (vnu) finds no error on any page of the main journeys —
each role's pages, the public pages in both languages, and forms re-rendered with their errors;
and on every page of the areas added since (institutions and assessors, supervision, selection,
rubrics, 补正): 195 pages in all.

vnu is the `vnu-jar` npm package pinned in package.json (`npm ci`, which `scripts/setup.sh
--test` runs) and needs Java. The pages are rendered by Django's test client, written to a
temporary folder and checked in one Java run (about 15 s for all 195 on 2 cores).
"""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from certificates.enums import DecisionKind
from certificates.services import annual_review_submit, certificate_decide
from tests.certificates.test_annual_review import at, certificate_of, due_review
from tests.helpers import journey_scene, new_areas_scene

VNU = Path(__file__).resolve().parents[1] / "node_modules/vnu-jar/build/dist/vnu.jar"


def vnu_command() -> list[str]:
    """The checker's command; without Java or the jar the test fails in CI and skips elsewhere."""
    java = shutil.which("java")
    problem = None
    if java is None:
        problem = "java is missing (apt-get install default-jre-headless; setup.sh --test does)"
    elif not VNU.exists():
        problem = f"{VNU} is missing: run `npm ci` at the repository root (setup.sh --test does)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return [java, "-Xss4m", "-jar", str(VNU), "--format", "json", "--stdout"]


def vnu_errors(pages: dict[str, bytes], folder: Path) -> list[str]:
    """Run vnu once over `pages` (name → HTML); one line per error, naming the page."""
    files = {}
    for i, (name, html) in enumerate(pages.items()):
        path = folder / f"page{i:03}.html"
        path.write_bytes(html)
        files[path] = name
    run = subprocess.run(
        [*vnu_command(), *map(str, files)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stdout or run.stderr)
    errors = []
    for message in report["messages"]:
        if message["type"] == "error" or message.get("subType") == "fatal":
            url = message.get("url", "?")  # file:/tmp/…/page000.html
            page = files.get(folder / url.rsplit("/", 1)[-1], url)
            errors.append(
                f"{page} line {message.get('lastLine', '?')}: {message['message']}"
                f" [{message.get('extract', '').strip()}]"
            )
    return errors


def client_for(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def main_journeys(world, flow) -> list[tuple[str, object, str, str, dict | None, int]]:
    """(language, user, method, url, data, expected status) for every page of the journeys."""
    # First (its jobs run in 2027): an annual review submitted for the center's bulk form,
    # and a decision for the institution admin to relay.
    review = due_review(world)
    annual_review_submit(
        review_id=review.pk,
        actor=world.applicant,
        materials="年度材料。",
        now=at(review.due_on - timedelta(days=1)),
    )
    certificate_decide(
        number=certificate_of(world).number,
        actor=world.center,
        kind=DecisionKind.SUSPEND,
        grounds="noncompliant",
        explanation="经核实，不符合相关规定。",
        now=timezone.now(),
    )
    now = timezone.now()
    scene = journey_scene(world, flow, now)
    certificate, token = scene.certificate, scene.token
    draft, submitted, onsite = scene.draft, scene.submitted, scene.onsite
    expert_review, publicity = scene.expert_review, scene.publicity

    public = [
        ("get", "/", None, 200),
        ("get", f"/verify/?q={world.org.name}", None, 200),
        ("get", "/verify/?q=", None, 200),
        ("get", f"/verify/{certificate.number}/", None, 200),
        ("get", f"/verify/{certificate.number}/?t={token}", None, 200),
        ("get", f"/verify/{certificate.number}/?t=forged", None, 200),
        ("get", "/publicity/", None, 200),
        ("get", f"/publicity/{publicity.pk}/", None, 200),
        ("post", f"/publicity/{publicity.pk}/", {"name": "", "reason": ""}, 400),
        ("get", f"/publicity/batches/{publicity.publicity_batch_id}/", None, 200),
        ("get", "/accounts/login/", None, 200),
        ("post", "/accounts/login/", {"username": "nobody", "password": "wrong"}, 200),
        ("get", "/accounts/register/", None, 200),
        ("post", "/accounts/register/", {"username": ""}, 400),
        ("get", "/accounts/password-reset/", None, 200),
        ("get", "/no-such-page/", None, 404),
    ]
    applicant = [
        ("get", "/workspace/", None, 200),
        ("get", "/workspace/?state=draft&q=no-match", None, 200),
        ("get", "/applications/new/", None, 200),
        ("post", "/applications/new/", {"kind": "grade"}, 400),
        ("get", f"/applications/{draft.pk}/", None, 200),
        ("post", f"/applications/{draft.pk}/transitions/submit/", {}, 400),
        ("get", f"/certificates/{certificate.number}/", None, 200),
        ("get", "/notifications/", None, 200),
    ]
    inst_admin = [
        ("get", "/workspace/", None, 200),
        ("get", f"/applications/{submitted.pk}/", None, 200),
        ("post", f"/applications/{submitted.pk}/transitions/accept/", {}, 400),
        ("get", f"/certificates/{certificate.number}/", None, 200),
        ("get", "/notifications/", None, 200),
    ]
    assessor = [
        ("get", "/workspace/", None, 200),
        ("get", f"/applications/{onsite.pk}/", None, 200),
        ("post", f"/applications/{onsite.pk}/transitions/file_report/", {}, 400),
    ]
    expert = [
        ("get", "/workspace/", None, 200),
        ("get", f"/applications/{expert_review.pk}/", None, 200),
        ("post", f"/applications/{expert_review.pk}/opinion/", {}, 400),
    ]
    center = [
        ("get", "/workspace/", None, 200),
        ("get", f"/applications/{expert_review.pk}/", None, 200),
        ("post", f"/applications/{expert_review.pk}/transitions/confirm/", {}, 409),
        ("get", f"/applications/{publicity.pk}/", None, 200),
        ("get", f"/certificates/{certificate.number}/", None, 200),
        ("get", "/notifications/", None, 200),
        ("get", "/center/publicity-batches/", None, 200),
        ("get", f"/center/publicity-batches/{publicity.publicity_batch_id}/", None, 200),
        ("post", f"/center/publicity-batches/{publicity.publicity_batch_id}/publish/", {}, 409),
        ("get", "/center/notification-texts/", None, 200),
        ("get", "/center/notification-texts/application.assigned/en/", None, 200),
        ("post", "/center/notification-texts/application.assigned/en/", {"text": "x"}, 400),
    ]
    visits = []
    for language in ("zh-hans", "en"):
        visits += [(language, None, *page) for page in public]
    for language, user, pages in (
        ("zh-hans", world.applicant, applicant),
        ("en", world.applicant, applicant),
        ("en", world.inst_admin, inst_admin),
        ("zh-hans", world.assessors[0], assessor),
        ("en", world.experts[0], expert),
        ("zh-hans", world.center, center),
        ("en", world.center, center),
    ):
        visits += [(language, user, *page) for page in pages]
    return visits


def new_area_visits(world, flow) -> list[tuple[str, object, str, str, dict | None, int]]:
    """The same for the areas added since: institutions and assessors, supervision,
    selection, rubrics and the application page's 补正 panel."""
    from supervision.exports import _datasets
    from supervision.services_exports import export_job_create

    n = new_areas_scene(world, flow, timezone.now())
    job = export_job_create(  # queued only: this test's transaction never commits
        actor=world.center, name="applications", fmt="csv", params={}, total=1, now=timezone.now()
    )
    public = [
        ("get", "/institutions/", None, 200),
        ("get", f"/institutions/{world.inst.pk}/", None, 200),
        ("get", "/assessors/", None, 200),
        ("get", "/rubrics/", None, 200),
        ("get", f"/rubrics/{n.rubric.pk}/", None, 200),
        ("get", "/supervision/report/", None, 200),
        ("post", "/supervision/report/", {"summary": ""}, 400),
        ("get", "/supervision/receipt/", None, 200),
        ("post", "/supervision/receipt/", {"code": "no-such-receipt"}, 404),
    ]
    applicant = [
        ("get", "/institutions/designations/new/", None, 200),
        ("post", "/institutions/designations/new/", {"name": ""}, 400),
        ("get", "/supervision/cases/", None, 200),
        ("get", "/supervision/cases/new/", None, 200),
        ("post", "/supervision/cases/new/", {"summary": ""}, 400),
        ("get", f"/supervision/cases/{n.case.pk}/", None, 200),
        ("get", "/self-evaluations/", None, 200),
        ("post", "/self-evaluations/", {"kind": ""}, 400),
        ("get", f"/self-evaluations/{n.self_evaluation.pk}/", None, 200),
        ("get", "/selections/", None, 200),
        ("post", "/selections/", {"title": ""}, 400),
        ("get", f"/selections/{n.project.pk}/", None, 200),
    ]
    other_applicant = [
        ("get", f"/applications/{n.returned.pk}/", None, 200),
        ("get", f"/institutions/designations/{n.designation.pk}/", None, 200),
        ("post", f"/institutions/designations/{n.designation.pk}/document/", {"kind": ""}, 400),
        ("get", f"/selections/invitations/{n.invitation.pk}/", None, 200),
    ]
    inst_admin = [
        ("get", f"/applications/{n.returned.pk}/", None, 200),
        ("get", f"/institutions/{world.inst.pk}/manage/", None, 200),
        ("get", "/institutions/assessors/nominate/", None, 200),
        ("post", "/institutions/assessors/nominate/", {"name": ""}, 400),
        ("get", f"/institutions/assessors/{n.nominee.pk}/", None, 200),
        ("get", "/institutions/participation/", None, 200),
        ("get", "/supervision/dashboard/", None, 200),
        ("get", "/supervision/lists/certificates/", None, 200),
    ]
    expert = [("get", f"/institutions/designations/{n.designation.pk}/", None, 200)]
    rubric = f"/center/rubrics/{n.rubric_draft.pk}"
    center = [
        ("get", "/institutions/designations/", None, 200),
        ("get", f"/institutions/designations/{n.designation.pk}/", None, 200),
        ("get", f"/institutions/{world.inst.pk}/manage/", None, 200),
        ("get", f"/institutions/{world.other_inst.pk}/manage/", None, 200),
        ("get", f"/institutions/assessors/{n.nominee.pk}/", None, 200),
        ("get", "/institutions/experts/", None, 200),
        ("get", "/institutions/experts/new/", None, 200),
        ("post", "/institutions/experts/new/", {"username": ""}, 400),
        ("get", f"/institutions/experts/{n.expert.pk}/", None, 200),
        ("get", "/supervision/cases/", None, 200),
        ("get", f"/supervision/cases/{n.case.pk}/", None, 200),
        ("get", "/supervision/dashboard/", None, 200),
        *[("get", f"/supervision/lists/{name}/", None, 200) for name in sorted(_datasets())],
        ("get", f"/supervision/exports/jobs/{job.pk}/", None, 200),
        ("get", "/supervision/audits/", None, 200),
        ("get", f"/supervision/audits/{n.audit.pk}/", None, 200),
        ("get", "/center/rubrics/", None, 200),
        ("post", "/center/rubrics/new/", {"kind": "nonsense"}, 400),
        ("get", f"{rubric}/", None, 200),
        ("post", f"{rubric}/", {"title": ""}, 400),
        ("post", f"{rubric}/criteria/new/", {"code": ""}, 400),
        ("get", f"{rubric}/criteria/{n.criterion.pk}/", None, 200),
        ("post", f"{rubric}/criteria/{n.criterion.pk}/", {"code": ""}, 400),
        ("post", f"{rubric}/thresholds/", {"IETS-1": "150"}, 400),
    ]
    visits = []
    for language in ("zh-hans", "en"):
        visits += [(language, None, *page) for page in public]
    for language, user, pages in (
        ("zh-hans", world.applicant, applicant),
        ("en", world.applicant, applicant),
        ("zh-hans", world.other_applicant, other_applicant),
        ("en", world.inst_admin, inst_admin),
        ("zh-hans", world.inst_admin, inst_admin),
        ("en", world.experts[0], expert),
        ("zh-hans", world.center, center),
        ("en", world.center, center),
    ):
        visits += [(language, user, *page) for page in pages]
    return visits


# Routes of the new areas that are no page: downloads, exports and POST-only actions.
NOT_PAGES = {
    "institutions:institution-csv",
    "institutions:assessor-csv",
    "institutions:designation-action",
    "institutions:designation-document",
    "institutions:supervision-evidence",
    "institutions:institution-action",
    "institutions:assessor-action",
    "institutions:expert-action",
    "supervision:case-evidence",
    "supervision:case-action",
    "supervision:export",
    "supervision:export-job-status",
    "supervision:export-download",
    "supervision:audit-action",
    "supervision:audit-object-action",
    "selection:self-evaluation-evidence",
    "selection:self-evaluation-action",
    "selection:selection-export",
    "selection:selection-action",
    "rubrics:criterion-delete",
    "rubrics:publish",
    "rubrics:discard",
}


def route_names(app: str) -> set[str]:
    from django.urls import get_resolver

    names = set()
    for entry in get_resolver().url_patterns:
        if getattr(entry, "app_name", None) == app:
            names |= {f"{app}:{p.name}" for p in entry.url_patterns if p.name}
    return names


def render_pages(visits) -> dict[str, bytes]:
    """Each page's HTML; the workspaces must show their bulk forms (checked below)."""
    pages, clients = {}, {}
    for language, user, method, url, data, status in visits:
        key = (language, user.pk if user else None)
        if key not in clients:
            clients[key] = client_for(user, language)
        client = clients[key]
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        who = user.username if user else "public"
        assert response.status_code == status, f"{who} {method} {url}: {response.status_code}"
        if method == "post":  # a form re-rendered with its errors, shown to the person
            assert b'role="alert"' in response.content, f"{who} {method} {url}: no error shown"
        assert response["Content-Type"].startswith("text/html")
        pages[f"[{language}] {who} {method.upper()} {url}"] = response.content
    for who, action in (("center", "pass_annual_reviews"), ("inst-a", "relay_decisions")):
        workspace = pages[f"[en] {who} GET /workspace/"].decode()
        assert f'name="action" value="{action}"' in workspace
    return pages


def component_pages() -> dict[str, bytes]:
    """Shared components that no main-journey page shows yet (the progress bar)."""
    from django.contrib.auth.models import AnonymousUser
    from django.template import engines
    from django.test import RequestFactory

    from tests.e2e.progress_urls import PAGE

    request = RequestFactory().get("/progress-page/")
    request.user = AnonymousUser()
    html = engines["django"].from_string(PAGE).render({}, request)
    return {"components/progress.html": html.encode()}


@pytest.mark.django_db
def test_main_journey_pages_are_valid_html(world, flow, tmp_path):
    new = new_area_visits(world, flow)
    pages = render_pages(main_journeys(world, flow) + new) | component_pages()
    # every page of the new areas is checked, for some role
    visited = {resolve(url.split("?")[0]).view_name for _, _, _, url, _, _ in new}
    for app in ("institutions", "supervision", "selection", "rubrics"):
        assert route_names(app) - NOT_PAGES - visited == set(), app
    assert len(pages) == 84 + len(new)
    errors = vnu_errors(pages, tmp_path)
    assert errors == [], "vnu found errors:\n" + "\n".join(errors)


def test_vnu_reports_an_error_on_invalid_html(tmp_path):
    """The checker is really run and its errors are really read: a broken page fails."""
    good = (
        b'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><p>ok</p></body></html>'
    )
    broken = good.replace(b"<p>ok</p>", b'<p><div id="x">x</div></p><span id="x"></span>')
    errors = vnu_errors({"good": good, "broken": broken}, tmp_path)
    assert [e.split(" [")[0] for e in errors] == [
        "broken line 1: No “p” element in scope but a “p” end tag seen.",
        "broken line 1: Duplicate ID “x”.",
    ]
