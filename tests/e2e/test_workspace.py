"""Issue 10, workspaces and feedback in the browser: the center passes several annual reviews at
once with the keyboard only and reads one confirmation per review; the applicant follows the
header's unread badge to the inbox and marks a notification read. Screenshots of each role's
workspace go to artifacts/screenshots/ (`workspace-<role>.png`)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from certificates.enums import AnnualReviewState as R
from certificates.models import AnnualReview
from certificates.services import annual_review_submit
from ietsportal.notifications.models import Notification
from tests.certificates.test_annual_review import at, due_review

from .test_accessibility import axe_script, blocking_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # the factories' password


def log_in(browser, base_url, username, locale="en", viewport=None, bypass_csp=False):
    context = browser.new_context(
        locale=locale,
        base_url=base_url,
        viewport=viewport or {"width": 1280, "height": 800},
        bypass_csp=bypass_csp,  # only to inject axe-core
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base_url}/workspace/")
    return context, page


def test_center_passes_annual_reviews_with_the_keyboard(
    chromium, live_server, world, screenshot_dir
):
    reviews = []
    for _ in range(3):
        review = due_review(world)
        reviews.append(
            annual_review_submit(
                review_id=review.pk,
                actor=world.applicant,
                materials="年度材料。",
                now=at(review.due_on - timedelta(days=1)),
            )
        )
    # On a phone first: the queue and its bulk form fit the screen; axe finds nothing.
    context, page = log_in(
        chromium,
        live_server.url,
        world.center.username,
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        bypass_csp=True,
    )
    expect(page.locator("#queue-annual-reviews")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshot_dir / "phone-workspace-center.png"), full_page=True)
    assert blocking_violations(page, axe_script()) == []
    context.close()

    context, page = log_in(chromium, live_server.url, world.center.username)
    queue = page.locator("section:has(h2#queue-annual-reviews)")
    expect(queue.get_by_role("checkbox")).to_have_count(3)
    page.screenshot(path=str(screenshot_dir / "workspace-center.png"), full_page=True)

    # Keyboard only: focus the first checkbox, tick it, tab to the second, tick it, tab on to
    # the note and the button.
    queue.get_by_role("checkbox").first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the first item's link
    while not page.evaluate("document.activeElement.type === 'checkbox'"):
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    note = queue.get_by_label("Decision note for the selected reviews")
    while not page.evaluate("document.activeElement.name === 'note'"):
        page.keyboard.press("Tab")
    page.keyboard.type("Materials complete.")
    page.keyboard.press("Tab")
    expect(queue.get_by_role("button", name="Pass the selected annual reviews")).to_be_focused()
    page.keyboard.press("Enter")

    status = page.get_by_role("status")
    for review in reviews[:2]:
        expect(status).to_contain_text(f"Annual review of {review.certificate.number} passed.")
    expect(queue.get_by_role("checkbox")).to_have_count(1)
    assert note.count() == 1
    assert sorted(AnnualReview.objects.values_list("state", flat=True)) == sorted(
        [R.PASSED, R.PASSED, R.SUBMITTED]
    )
    context.close()


def test_applicant_follows_the_unread_badge_and_marks_a_notification_read(
    chromium, live_server, world, flow, screenshot_dir
):
    now = timezone.now()
    flow.draft(now=now)
    for i in range(2):
        Notification.objects.create(
            recipient=world.applicant,
            key="application.submitted",
            params={"number": f"A{i}"},
            link="/workspace/",
            created_at=now,
        )
    due_review(world)
    context, page = log_in(chromium, live_server.url, world.applicant.username)
    page.screenshot(path=str(screenshot_dir / "workspace-applicant.png"), full_page=True)
    unread = Notification.objects.filter(recipient=world.applicant, read_at=None).count()
    assert unread >= 2  # the two above, and the notice that the annual review is open
    badge = page.get_by_role("link", name=f"Notifications {unread} unread")
    expect(badge).to_be_visible()
    badge.click()
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Mark the selected as read").click()
    expect(page.get_by_role("status")).to_have_text("1 notification marked as read.")
    expect(page.get_by_role("link", name=f"Notifications {unread - 1} unread")).to_be_visible()
    context.close()


@pytest.mark.parametrize("role", ["inst_admin", "assessor", "expert"])
def test_staff_workspace_screenshots(chromium, live_server, world, flow, screenshot_dir, role):
    from applications.enums import ApplicationState as S

    now = timezone.now()
    for state in (S.SUBMITTED, S.ONSITE_REVIEW, S.EXPERT_REVIEW):
        flow.to(flow.draft(world.other_applicant, now=now), state, now=now)
    user = {
        "inst_admin": world.inst_admin,
        "assessor": world.assessors[0],
        "expert": world.experts[0],
    }[role]
    context, page = log_in(chromium, live_server.url, user.username)
    expect(page.locator("section.queue tbody tr").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / f"workspace-{role}.png"), full_page=True)
    context.close()
