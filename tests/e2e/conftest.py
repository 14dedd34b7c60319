"""Fixtures of the end-to-end tests: Debian's headless Chromium driven by Playwright (sync API)
against pytest-django's live server, which runs in a thread of this process on the test
database (transactional tests: the data each side commits is seen by the other)."""

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def chromium(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); no e2e run")
    # Playwright's sync API keeps an event loop running in this thread, so Django would refuse
    # the test's own ORM calls as "async-unsafe" while the browser is open; they are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connections per context
            # (asgiref), apart from the ones it uses after: close them, or the test database
            # cannot be dropped at the end of the session.
            connections.close_all()


@pytest.fixture
def screenshot_dir():
    """Screenshots of the key pages, for people to look at (artifacts/ is git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
