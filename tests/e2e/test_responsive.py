"""Issue 10, responsive: the public pages work on a 375-pixel-wide phone and on a desktop.

Headless Chromium opens each public page at 375×812 (a phone, touch, device scale 2) and at
1280×800; on the phone nothing scrolls sideways (`scrollWidth <= 375`), and at both sizes the
page's main controls are visible and inside the viewport's width. A full-page screenshot of each
page at each size goes to artifacts/screenshots/ (`phone-<page>.png`, `desktop-<page>.png`),
kept by CI as artefacts for people to look at.
"""

from datetime import timedelta

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import expect

from applications.enums import ApplicationState as S
from certificates.models import Certificate
from ietsportal.jobs import run_due_jobs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
# Public directories arrive with issue #5; each is checked once its page exists.
DIRECTORY_CANDIDATES = {
    "institutions": ("/institutions/", "/directory/institutions/"),
    "assessors": ("/assessors/", "/directory/assessors/"),
}


def existing(paths) -> str | None:
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            continue
        return path
    return None


def public_pages(world, flow) -> list[tuple[str, str, list[str]]]:
    """(name, url, selectors of the main controls that must be visible)."""
    now = timezone.now()
    issued = flow.to(
        flow.draft(now=now - timedelta(days=11)), S.PUBLICITY, now=now - timedelta(days=10)
    )
    run_due_jobs(now=issued.publicity_ends_at + timedelta(seconds=1))
    certificate = Certificate.objects.get(application=issued)
    start = now - timedelta(days=1)
    publicity = flow.to(flow.draft(world.other_applicant, now=start), S.PUBLICITY, now=start)
    header = [".brand", "nav a[href='/verify/']", "nav a[href='/publicity/']", "#language-select"]
    pages = [
        ("home", "/", [*header, "#home-q", "form[role=search] [type=submit]"]),
        ("verify", "/verify/", [*header, "input[name=q]", "form[role=search] [type=submit]"]),
        (
            "verify-search",
            f"/verify/?q={world.org.name}",
            [*header, "input[name=q]", f"a:text('{certificate.number}')"],
        ),
        ("verify-result", f"/verify/{certificate.number}/", [*header, "[role=status]"]),
        ("publicity", "/publicity/", [*header, f"a[href='/publicity/{publicity.pk}/']"]),
        (
            "publicity-detail",
            f"/publicity/{publicity.pk}/",
            [*header, "textarea[name=reason]", "main form [type=submit]"],
        ),
    ]
    for name, candidates in DIRECTORY_CANDIDATES.items():
        if url := existing(candidates):
            pages.append((name, url, header))
    return pages


def test_public_pages_fit_a_phone_and_a_desktop(chromium, live_server, world, flow, screenshot_dir):
    pages = public_pages(world, flow)
    problems = []
    for size_name, viewport, phone in (("phone", PHONE, True), ("desktop", DESKTOP, False)):
        context = chromium.new_context(
            viewport=viewport,
            locale="zh-CN",
            base_url=live_server.url,
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        for name, url, controls in pages:
            response = page.goto(url)
            assert response.status == 200, f"{url}: {response.status}"
            for selector in controls:
                control = page.locator(selector).first
                expect(control).to_be_visible()
                box = control.bounding_box()
                if box["x"] < 0 or box["x"] + box["width"] > viewport["width"] + 0.5:
                    problems.append(f"{size_name} {url}: {selector} sticks out at {box}")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if phone and scroll_width > viewport["width"]:
                problems.append(f"phone {url}: scrolls sideways ({scroll_width} px wide)")
            page.screenshot(path=str(screenshot_dir / f"{size_name}-{name}.png"), full_page=True)
        context.close()
    assert problems == []
    assert len(list(screenshot_dir.glob("phone-*.png"))) >= len(pages)


def test_each_roles_header_fits_a_phone_and_a_desktop_and_works_by_keyboard(
    chromium, live_server, world, screenshot_dir
):
    """The header's second row (each role's own pages, up to 8 links for the center): on a
    375-pixel phone and on a desktop every link is visible and inside the viewport, nothing
    scrolls sideways, the desktop header stays within three short rows, and the links are
    reached with Tab in reading order and followed with Enter."""
    from .test_accessibility import PASSWORD

    problems = []
    for who, user, expected in (
        ("center", world.center, 8),
        ("applicant", world.applicant, 6),
        ("inst-admin", world.inst_admin, 5),
    ):
        for size_name, viewport, phone in (("phone", PHONE, True), ("desktop", DESKTOP, False)):
            context = chromium.new_context(
                viewport=viewport, locale="zh-CN", base_url=live_server.url, is_mobile=phone
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.locator("input[name=username]").fill(user.username)
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form:has(input[name=password]) [type=submit]").click()
            expect(page).to_have_url(f"{live_server.url}/workspace/")
            links = page.locator("nav.role-nav a")
            expect(links).to_have_count(expected)
            expect(page.locator("nav.role-nav a[aria-current=page]")).to_have_attribute(
                "href", "/workspace/"
            )
            for i in range(expected):
                link = links.nth(i)
                expect(link).to_be_visible()
                box = link.bounding_box()
                if box["x"] < 0 or box["x"] + box["width"] > viewport["width"] + 0.5:
                    problems.append(f"{who} {size_name}: link {i} sticks out at {box}")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > viewport["width"]:
                problems.append(f"{who} {size_name}: scrolls sideways ({scroll_width} px wide)")
            header = page.locator("header.site-header").bounding_box()
            if not phone and header["height"] > 150:
                problems.append(f"{who} desktop: header {header['height']} px tall")
            page.screenshot(path=str(screenshot_dir / f"{size_name}-header-{who}.png"))
            if phone:  # keyboard: Tab reaches the last role link after the first, then Enter
                last = links.nth(expected - 1)
                href = last.get_attribute("href")
                seen = []
                for _ in range(40):
                    page.keyboard.press("Tab")
                    seen.append(page.evaluate("document.activeElement.getAttribute('href')"))
                    if seen[-1] == href:
                        break
                assert "/workspace/" in seen and seen[-1] == href, seen
                assert seen.index("/workspace/") < len(seen) - 1
                page.keyboard.press("Enter")
                expect(page).to_have_url(f"{live_server.url}{href}")
            context.close()
    assert problems == []
