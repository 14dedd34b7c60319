"""Issue 10, valid: the Nu HTML Checker (vnu) finds no error on any page of the main journeys —
each role's pages, the public pages in both languages, and forms re-rendered with their errors.

vnu is the `vnu-jar` npm package pinned in package.json (`npm ci`, which `scripts/setup.sh
--test` runs) and needs Java. The pages are rendered by Django's test client, written to a
temporary folder and checked in one Java run (about 10 s for all 84 on 2 cores).
"""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from applications import services
from applications.enums import ApplicationState as S
from certificates.enums import DecisionKind
from certificates.models import Certificate
from certificates.services import annual_review_submit, certificate_decide
from certificates.signing import certificate_facts, sign_facts
from ietsportal.jobs import run_due_jobs
from tests.certificates.test_annual_review import at, certificate_of, due_review

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
    draft = flow.draft(evidence=False, now=now - timedelta(days=11))
    issued = flow.to(
        flow.draft(now=now - timedelta(days=11)), S.PUBLICITY, now=now - timedelta(days=10)
    )
    run_due_jobs(now=issued.publicity_ends_at + timedelta(seconds=1))
    certificate = Certificate.objects.get(application=issued)
    token = sign_facts(certificate_facts(certificate))
    other = world.other_applicant
    start = now - timedelta(days=1)
    submitted = flow.to(flow.draft(other, now=start), S.SUBMITTED, now=start)
    onsite = flow.to(flow.draft(other, now=start), S.ONSITE_REVIEW, now=start)
    expert_review = flow.to(flow.draft(other, now=start), S.EXPERT_REVIEW, now=start)
    publicity = flow.to(flow.draft(other, now=start), S.PUBLICITY, now=start)
    services.objection_file(
        application_id=publicity.pk,
        name="张三",
        contact="13800000000",
        reason="材料不实。",
        now=now,
    )

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
    pages = render_pages(main_journeys(world, flow)) | component_pages()
    assert len(pages) == 84
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
