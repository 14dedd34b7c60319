"""Issue #5's pages under axe-core in headless Chromium: no serious or critical violation,
for the public and each role, in zh-hans and English (see test_accessibility.py)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from institutions import services
from institutions.models import Expert

from ..institutions.conftest import apply, nominate
from .test_accessibility import Person, axe_script, blocking_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_institution_pages_have_no_serious_or_critical_axe_violations(chromium, live_server, world):
    axe = axe_script()
    now = timezone.now()
    expert = Expert.objects.create(user=world.experts[0], fields_of_expertise="信息系统")
    designation = apply(world.other_applicant, name="候选机构", now=now)
    services.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, panel_size=1, now=now
    )
    nominee = nominate(world.inst_admin, now=now)
    public = [
        ("/institutions/", "table"),
        (f"/institutions/{world.inst.pk}/", "table"),
        ("/assessors/", "table"),
    ]
    applicant = [("/institutions/designations/new/", "form textarea")]
    inst_admin = [
        (f"/institutions/{world.inst.pk}/manage/", "#staffing"),
        ("/institutions/assessors/nominate/", "form textarea"),
        (f"/institutions/assessors/{nominee.pk}/", "form"),
        ("/institutions/participation/", "table"),
    ]
    expert_pages = [(f"/institutions/designations/{designation.pk}/", "form textarea")]
    center = [
        ("/institutions/designations/", "table"),
        (f"/institutions/designations/{designation.pk}/", "form"),
        (f"/institutions/{world.inst.pk}/manage/", "form textarea"),
        (f"/institutions/assessors/{nominee.pk}/", "form"),
        ("/institutions/experts/", "table"),
        ("/institutions/experts/new/", "form"),
        (f"/institutions/experts/{expert.pk}/", "form"),
    ]
    visits = [
        ("zh-CN", None, public),
        ("en", None, public),
        ("en", world.applicant.username, applicant),
        ("zh-CN", world.inst_admin.username, inst_admin),
        ("en", world.experts[0].username, expert_pages),
        ("zh-CN", world.center.username, center),
        ("en", world.center.username, center[:3]),
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
