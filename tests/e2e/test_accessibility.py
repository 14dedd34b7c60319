"""Issue 10, accessible: axe-core, run in headless Chromium, finds no serious or critical
violation on any page of the main journeys, for the public and for each role, in zh-hans and
in English.

axe-core is the npm package pinned in package.json (`npm ci` at the repository root, which
`scripts/setup.sh --test` runs); it is injected into each page and run on the whole document.
"""

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.helpers import journey_scene

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "pw-123456"  # the factories' password
BLOCKING = ("serious", "critical")
LANGUAGES = {"zh-CN": "zh-CN", "en": "en"}  # browser locale → the <html lang> the portal sends


def axe_script() -> Path:
    """axe-core's script; without it the test fails in CI (CI=true) and is skipped elsewhere."""
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci` at the repository root (setup.sh --test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def blocking_violations(page, axe: Path) -> list[str]:
    """axe's serious and critical violations on the page, one line per offending element."""
    page.add_script_tag(path=str(axe))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


class Person:
    """One person's browser context, in one language, logged in when given a username."""

    def __init__(self, browser, base_url: str, locale: str, username: str | None = None):
        # The portal's CSP (script-src 'self' plus a nonce) refuses the injected axe script;
        # this test alone bypasses the CSP so that axe can run in the page.
        self.context = browser.new_context(locale=locale, base_url=base_url, bypass_csp=True)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.lang = LANGUAGES[locale]
        if username:
            self.page.goto("/accounts/login/")
            self.page.locator("input[name=username]").fill(username)
            self.page.locator("input[name=password]").fill(PASSWORD)
            self.page.locator("form:has(input[name=password]) [type=submit]").click()
            expect(self.page).to_have_url(f"{base_url}/workspace/")


def test_main_journey_pages_have_no_serious_or_critical_axe_violations(
    chromium, live_server, world, flow
):
    axe = axe_script()
    # The applicant's draft (no evidence yet, so the eligibility panel lists what is missing),
    # its application issued a certificate 3 days ago, and another organisation's
    # applications in each state where a role has a form to fill (tests/helpers.py).
    scene = journey_scene(world, flow, timezone.now())
    certificate, token = scene.certificate, scene.token
    draft, submitted, onsite = scene.draft, scene.submitted, scene.onsite
    expert_review, publicity = scene.expert_review, scene.publicity

    # Each page with what must be on it, so that the check covers the state it is meant for.
    public = [
        ("/", "main"),
        (f"/verify/?q={world.org.name}", f"table :text('{certificate.number}')"),
        (f"/verify/{certificate.number}/", "[role=status]"),
        (f"/verify/{certificate.number}/?t={token}", "[role=status]"),
        ("/publicity/", f"table :text('{world.other_org.name}')"),
        (f"/publicity/{publicity.pk}/", "form textarea[name=reason]"),
        ("/accounts/login/", "input[name=password]"),
        ("/accounts/register/", "form input[type=password]"),
    ]
    applicant = [
        ("/workspace/", "main"),
        ("/applications/new/", "form select"),
        (f"/applications/{draft.pk}/", ".panel.warning li"),
        (f"/certificates/{certificate.number}/", "main h1"),
        ("/notifications/", "main li"),
    ]
    inst_admin = [("/workspace/", "main"), (f"/applications/{submitted.pk}/", "#step-accept")]
    assessor = [("/workspace/", "main"), (f"/applications/{onsite.pk}/", "#step-file_report")]
    expert = [
        ("/workspace/", "main"),
        (f"/applications/{expert_review.pk}/", "form[action$='/declaration/']"),
    ]
    center = [
        ("/workspace/", "main"),
        (f"/applications/{expert_review.pk}/", "#step-confirm"),
        (f"/applications/{publicity.pk}/", "form[action*='/objections/'] textarea"),
        (f"/certificates/{certificate.number}/", "form[action$='/decide/']"),
    ]
    # The public pages in both languages; each role's pages in one of them, so that both
    # languages are covered without every page being checked twice (the test stays fast).
    visits = [
        ("zh-CN", None, public),
        ("en", None, public),
        ("zh-CN", world.applicant.username, applicant),
        ("en", world.inst_admin.username, inst_admin),
        ("zh-CN", world.assessors[0].username, assessor),
        ("en", world.experts[0].username, expert),
        ("zh-CN", world.center.username, center),
    ]

    found: list[str] = []
    for locale, username, pages in visits:
        person = Person(chromium, live_server.url, locale, username)
        for url, must_show in pages:
            if person.page.url != f"{live_server.url}{url}":
                response = person.page.goto(url)
                assert response.status == 200, f"{username or 'public'} {url}: {response.status}"
            expect(person.page.locator("html")).to_have_attribute("lang", person.lang)
            expect(person.page.locator(must_show).first).to_be_visible()
            found += [
                f"[{locale}] {username or 'public'} {url}: {line}"
                for line in blocking_violations(person.page, axe)
            ]
        person.context.close()

    assert found == [], "axe found serious or critical violations:\n" + "\n".join(found)
