"""Issue 10: axe-core finds no serious or critical violation on the pages of the areas added
after the main journeys that no other axe test covers — supervision, rubrics (public and the
center's editing pages) and the application page's 补正 panel — for the public and each role,
in zh-hans and English (institutions: test_institution_accessibility.py; selection:
tests/selection/test_e2e.py)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.helpers import new_areas_scene

from .test_accessibility import Person, axe_script, blocking_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_area_pages_have_no_serious_or_critical_axe_violations(
    chromium, live_server, world, flow
):
    axe = axe_script()
    n = new_areas_scene(world, flow, timezone.now())
    rubric = f"/center/rubrics/{n.rubric_draft.pk}"
    public = [
        ("/rubrics/", "main table"),
        (f"/rubrics/{n.rubric.pk}/", "main table"),
        ("/supervision/report/", "form textarea"),
        ("/supervision/receipt/", "form input[name=code]"),
    ]
    applicant = [
        ("/supervision/cases/", "main h1"),
        ("/supervision/cases/new/", "form textarea"),
        (f"/supervision/cases/{n.case.pk}/", "main h1"),
    ]
    returned = f"/applications/{n.returned.pk}/"
    other_applicant = [(returned, "#material-requests")]
    inst_admin = [
        (returned, "#material-requests"),
        ("/supervision/dashboard/", "main h1"),
        ("/supervision/lists/certificates/", "main h1"),
    ]
    center = [
        ("/supervision/cases/", "main table"),
        (f"/supervision/cases/{n.case.pk}/", "main form"),
        ("/supervision/dashboard/", "main h1"),
        ("/supervision/lists/applications/", "main h1"),
        ("/supervision/lists/cases/", "main h1"),
        ("/supervision/audits/", "main h1"),
        (f"/supervision/audits/{n.audit.pk}/", "main h1"),
        ("/center/rubrics/", "main table"),
        (f"{rubric}/", "form[action$='/criteria/new/']"),
        (f"{rubric}/criteria/{n.criterion.pk}/", "main form"),
    ]
    visits = [
        ("zh-CN", None, public),
        ("en", None, public),
        ("en", world.applicant.username, applicant),
        ("zh-CN", world.other_applicant.username, other_applicant),
        ("en", world.inst_admin.username, inst_admin),
        ("zh-CN", world.center.username, center),
        ("en", world.center.username, center[-3:]),
    ]
    found: list[str] = []
    for locale, username, pages in visits:
        person = Person(chromium, live_server.url, locale, username)
        for url, must_show in pages:
            response = person.page.goto(url)
            assert response.status == 200, f"{username or 'public'} {url}: {response.status}"
            expect(person.page.locator(must_show).first).to_be_visible()
            found += [
                f"[{locale}] {username or 'public'} {url}: {line}"
                for line in blocking_violations(person.page, axe)
            ]
        person.context.close()
    assert found == [], "axe found serious or critical violations:\n" + "\n".join(found)
