"""Issue #5 in the browser: designation → assessor registrations → a roster change that breaks
the staffing bar → the flag and the blocked acceptance (R§7–8, R§10–14).

The staffing bar is a setting; this test lowers it for local institutions to 2 registered
assessors with 1 full-time, so that the roster is built through the pages in seconds."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications import services as app_services
from applications.enums import ApplicationState as S
from ietsportal.demo import DEMO_PDF
from ietsportal.errors import Conflict
from institutions.models import Assessor, Expert, Institution

from ..factories import OrganizationFactory, UserFactory
from ..institutions.conftest import id_number
from .test_journey import Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_designation_roster_and_blocked_acceptance(
    chromium, live_server, world, flow, settings, screenshot_dir
):
    settings.INSTITUTION_STAFFING = {
        "national": {"assessors": 15, "full_time": 8},
        "local": {"assessors": 2, "full_time": 1},
    }
    Expert.objects.create(user=world.experts[0], fields_of_expertise="信息系统集成")
    candidate = UserFactory(
        organization=OrganizationFactory(name="北京丁评价咨询有限公司"), username="candidate"
    )
    problems: list[str] = []

    def visit():
        return Visit(chromium, live_server.url, screenshot_dir, problems)

    # ---- the organisation applies
    org = visit()
    page = org.log_in("candidate")
    page.goto("/institutions/designations/new/")
    page.get_by_label("Name of the institution").fill("北京丁信息化评价所")
    page.get_by_label("Local").check()
    page.get_by_label("Region served").select_option("11")
    # half a year before today: the rule is relative to the day the request is filed
    recent = timezone.localdate() - timedelta(days=182)
    page.get_by_label("Established on").fill(recent.isoformat())
    page.get_by_label("Personnel").fill("评价人员 10 名。")
    page.get_by_label("Technical means").fill("评价系统。")
    page.get_by_label("Infrastructure").fill("办公场所。")
    page.get_by_label("The organisation has a good credit record (R§7(1))").check()
    page.get_by_label(re.compile("runs no business that could compromise")).check()
    page.get_by_role("button", name="File the request").click()
    # Established less than a year ago: refused with a clear message, nothing stored.
    expect(page.locator(".field-error")).to_contain_text("more than one year")
    assert Institution.objects.filter(name="北京丁信息化评价所").count() == 0
    page.get_by_label("Established on").fill("2018-06-01")
    page.get_by_role("button", name="File the request").click()
    expect(page.locator(".badge")).to_have_text("Applied")
    designation_url = page.url
    # ---- it files its business licence (R§13(1)); a file that is not what its name says is
    # refused with the reason, and nothing is listed
    page.get_by_label("What the document shows").select_option("licence")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 exe"}]
    )
    page.get_by_role("button", name="Add the document").click()
    expect(page.locator(".field-error")).to_contain_text("PDF")
    expect(page.get_by_text("No supporting document has been filed yet.")).to_be_visible()
    page.get_by_label("What the document shows").select_option("licence")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": DEMO_PDF}]
    )
    page.get_by_role("button", name="Add the document").click()
    expect(page.get_by_role("link", name="营业执照.pdf")).to_be_visible()
    org.shot("inst-00-designation-documents")

    # ---- the center draws a panel of one, the expert gives an opinion, the center approves
    center = visit()
    page = center.log_in("center")
    page.goto(designation_url)
    expect(page.get_by_role("link", name="营业执照.pdf")).to_be_visible()
    page.get_by_label("Experts on the panel").fill("1")
    page.get_by_role("button", name="Draw the panel").click()
    expect(page.locator(".badge")).to_have_text("Under review")
    expert = visit()
    page = expert.log_in("expert1")
    page.goto(designation_url)
    page.get_by_label("Yes").check()
    page.get_by_label("Opinion").fill("条件具备，同意。")
    page.get_by_role("button", name="Submit the opinion").click()
    page = center.page
    page.goto(designation_url)
    page.get_by_label("Approve").check()
    page.get_by_label("Reasons").fill("符合 R§7 的条件。")
    page.get_by_role("button", name="Decide").click()
    expect(page.locator(".badge")).to_have_text("Approved")
    institution = Institution.objects.get(name="北京丁信息化评价所")

    # ---- the new admin sees the flag (no roster yet) and nominates two assessors
    page = org.page
    page.goto(f"/institutions/{institution.pk}/manage/")
    expect(page.locator("#accepting")).to_have_text("No")
    expect(page.locator("#staffing")).to_contain_text("2 more registered assessors are needed.")
    org.shot("inst-01-flagged")
    for i, full_time in ((1, "Yes"), (2, "No")):
        page.goto("/institutions/assessors/nominate/")
        page.get_by_label("Full name").fill(f"评价师{i}")
        page.get_by_label("Resident identity number").fill(id_number(100 + i))
        page.get_by_label("User name for the portal").fill(f"ding-assessor{i}")
        page.get_by_label("E-mail").fill(f"ding{i}@example.cn")
        page.get_by_label("Labour contract").check()
        page.locator(
            f"input[name=full_time][value={'yes' if full_time == 'Yes' else 'no'}]"
        ).check()
        page.get_by_role("button", name="Nominate").click()
        expect(
            page.get_by_text("The nomination has been sent to the evaluation center.")
        ).to_be_visible()

    # ---- the center registers both (备案)
    page = center.page
    for assessor in Assessor.objects.filter(institution=institution).order_by("pk"):
        page.goto(f"/institutions/assessors/{assessor.pk}/")
        page.get_by_role("button", name="Register").click()
        expect(page.locator(".facts .badge")).to_have_text("Registered")
    page = org.page
    page.goto(f"/institutions/{institution.pk}/manage/")
    expect(page.locator("#accepting")).to_have_text("Yes")
    org.shot("inst-02-compliant")

    # ---- an applicant of the region applies to it
    beijing = UserFactory(organization=OrganizationFactory(region="11"), username="bj-applicant")
    app = flow.to(flow.draft(beijing, institution=institution), S.SUBMITTED)

    # ---- the admin releases one assessor: below the bar, flagged, acceptance blocked
    released = Assessor.objects.filter(institution=institution).order_by("pk").last()
    page.goto(f"/institutions/assessors/{released.pk}/")
    page.get_by_label("Explanation").fill("合同到期。")
    page.get_by_role("button", name="Release").click()
    page.goto(f"/institutions/{institution.pk}/manage/")
    expect(page.locator("#accepting")).to_have_text("No")
    expect(page.locator("#staffing")).to_contain_text("1 more registered assessor is needed.")
    org.shot("inst-03-below-the-bar")
    with pytest.raises(Conflict):
        app_services.application_transition(
            application_id=app.pk,
            name="accept",
            actor=candidate.__class__.objects.get(pk=candidate.pk),
            data={"lead_assessor": "ding-assessor1", "assessors": ["ding-assessor2"]},
            now=timezone.now(),
        )
    app.refresh_from_db()
    assert app.state == S.SUBMITTED
    for v in (org, center, expert):
        v.close()
    assert problems == [
        f"400 {live_server.url}/institutions/designations/new/",
        f"415 {designation_url}document/",
    ]
