"""Issue 10, feedback: the progress bar component (templates/components/progress.html with
static/js/progress.js) polls its JSON status URL, moves, and shows the result link when done;
a failure is announced; the CSP (no inline script) holds, since the test does not bypass it."""

import pytest
from playwright.sync_api import expect

from . import progress_urls

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.e2e.progress_urls"),
]


def open_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="en")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/progress-page/")
    return context, page, errors


def test_progress_bar_polls_until_done_and_shows_the_result(chromium, live_server):
    progress_urls.polls.update(count=0, fail=False)
    context, page, errors = open_page(chromium, live_server)
    root = page.locator("#export-1")
    expect(root).to_have_attribute("data-state", "done")
    expect(root.locator("progress")).to_have_js_property("value", 100)
    expect(root.locator(".progress-text")).to_have_text("3 / 3")
    expect(root.get_by_role("link", name="Download")).to_have_attribute("href", "/result/")
    expect(root.locator(".progress-refresh")).to_be_hidden()
    assert progress_urls.polls["count"] == 3  # stopped polling once done
    assert errors == []  # no CSP refusal, no script error
    context.close()


def test_progress_bar_announces_a_failure_and_stops(chromium, live_server):
    progress_urls.polls.update(count=0, fail=True)
    context, page, _errors = open_page(chromium, live_server)
    root = page.locator("#export-1")
    expect(root).to_have_attribute("data-state", "failed")
    expect(root.get_by_role("alert")).to_have_text("出错了")
    expect(root.locator(".progress-result")).to_be_hidden()
    page.wait_for_timeout(600)
    assert progress_urls.polls["count"] == 2
    context.close()


def test_progress_bar_without_javascript_offers_a_refresh(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="en", java_script_enabled=False)
    page = context.new_page()
    page.goto("/progress-page/")
    expect(page.locator("#export-1 .progress-refresh a")).to_be_visible()
    expect(page.locator("#export-1 progress")).to_be_visible()
    context.close()
