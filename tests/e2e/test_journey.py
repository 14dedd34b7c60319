"""The browser journey of issue 2, from the applicant's draft to the public verification page.

Each person uses their own browser context (their own session), logs in through the login page
and works only through the pages a person sees; elements are found by their label or role.
The applicant starts in the default language (zh-hans) and switches to English with the header
form; the others browse in English, and a Chinese visitor checks the certificate at the end.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from playwright.sync_api import expect

from applications.enums import ApplicationState as S
from applications.models import Application
from certificates.models import Certificate
from ietsportal.demo import DEMO_PDF
from tests.helpers import GRADE_CODES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # the factories' password


def zh(message: str) -> str:
    """What the portal shows for `message` in its default language."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


class Visit:
    """One person's browser: a context of its own, with every server or page error recorded."""

    def __init__(self, browser, base_url: str, shots, problems: list, locale: str = "en"):
        self.context = browser.new_context(locale=locale, base_url=base_url)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.shots = shots
        self.page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                problems.append(f"console: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        self.page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )

    def log_in(
        self,
        username: str,
        *,
        username_label="Username",
        password_label="Password",
        button="Log in",
    ):
        page = self.page
        page.goto("/accounts/login/")
        page.get_by_label(username_label).fill(username)
        page.get_by_label(password_label).fill(PASSWORD)
        page.get_by_role("button", name=button, exact=True).click()
        expect(page).to_have_url(re.compile(r"/workspace/$"))
        return page

    def open_application(self, number: str):
        self.page.goto("/workspace/")
        self.page.get_by_role("link", name=number, exact=True).click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(number)
        return self.page

    def shot(self, name: str):
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


def expect_state(page, label: str):
    expect(page.locator(".page-head .badge")).to_have_text(label)


def test_journey_from_application_to_verified_certificate(
    chromium, live_server, world, tmp_path, screenshot_dir
):
    problems: list[str] = []

    def visit(locale="en"):
        return Visit(chromium, live_server.url, screenshot_dir, problems, locale)

    evidence_file = tmp_path / "营业执照.pdf"
    evidence_file.write_bytes(DEMO_PDF)

    # ---- the applicant, in the default language (zh-hans), then in English
    applicant = visit(locale="zh-CN")
    page = applicant.page
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_label("用户名")).to_be_visible()  # Django's own zh-hans catalogue
    applicant.shot("01-login-zh-hans")
    applicant.log_in(
        "applicant", username_label="用户名", password_label="密码", button=zh("Log in")
    )
    page.get_by_label(zh("Language")).select_option("en")
    page.get_by_role("button", name=zh("Switch"), exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Workspace")

    page.get_by_role("link", name="New application").click()
    page.get_by_label("Evaluation institution").select_option(label=world.inst.name)
    page.get_by_label("IT engineering and technical service capability (graded").check()
    page.get_by_label("Requested grade").select_option("IETS-3")
    page.get_by_label("Description of the organisation's capability").fill("系统集成与运维服务。")
    page.get_by_label("The organisation is an independent legal person").check()
    page.get_by_label("No violations of law or serious dishonesty").check()
    page.get_by_role("button", name="Save draft").click()
    expect_state(page, "Draft")
    expect(page.get_by_role("heading", name="Before you can submit")).to_be_visible()
    app = Application.objects.get(organization=world.org)
    assert (app.state, app.institution_id, app.requested_grade) == (
        S.DRAFT,
        world.inst.pk,
        "IETS-3",
    )

    page.get_by_label("Evidence file").set_input_files(str(evidence_file))
    page.get_by_label("Description").fill("营业执照副本")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("link", name="营业执照.pdf")).to_be_visible()
    expect(page.get_by_role("heading", name="Before you can submit")).to_have_count(0)
    applicant.shot("02-draft-with-evidence")
    page.get_by_role("button", name="Submit the application").click()
    expect_state(page, "Submitted")
    expect(page.get_by_role("status")).to_contain_text("Done: Submit the application")
    applicant.close()

    # ---- the institution admin accepts it (受理) and assigns the assessors
    admin = visit()
    admin.log_in("inst-a")
    page = admin.open_application(app.number)
    accept = page.locator("#step-accept")
    accept.get_by_label("Lead assessor").select_option("a-assessor1")
    accept.get_by_role("checkbox", name="a-assessor2").check()
    admin.shot("03-institution-accepts")
    accept.get_by_role("button", name="Accept and assign assessors").click()
    expect_state(page, "Document review")
    expect(page.get_by_text("a-assessor1 (lead), a-assessor2")).to_be_visible()
    admin.close()

    # ---- the lead assessor: document review, then the on-site review's report
    lead = visit()
    lead.log_in("a-assessor1")
    page = lead.open_application(app.number)
    page.get_by_label("Document review notes").fill("材料齐全。")
    page.get_by_role("button", name="Finish the document review").click()
    expect_state(page, "On-site review")
    report = page.locator("#step-file_report")
    report.get_by_label("On-site visit date").fill(timezone.localdate().isoformat())
    report.get_by_label("On-site findings").fill("现场核查通过。")
    for code in GRADE_CODES:  # criterion by criterion, with a comment each (M§3)
        report.locator(f'input[name="scores.{code}"]').fill("9" if code == "T1" else "7.5")
        report.get_by_label(f"Comment on {code}").fill(f"{code} 材料充分。")
    report.get_by_label("Evaluation report").fill("综合评价良好。")
    report.get_by_role("button", name="File the evaluation report").click()
    expect_state(page, "Report filed")
    scores = page.get_by_role("table", name="Scores by capability area")
    expect(scores.get_by_role("row", name="Technical capability")).to_contain_text("79.80")
    expect(scores.get_by_role("row", name="Total (weighted)")).to_contain_text("76.20")
    criteria = page.get_by_role("table", name="Scores by criterion")
    expect(criteria.get_by_role("row", name="T1")).to_contain_text("9 / 10")
    expect(page.get_by_text("IETS-3 (Grade 3)").first).to_be_visible()
    lead.shot("04-report-filed")
    lead.close()

    # ---- center staff start the expert review with two experts of the pool
    center = visit()
    center.log_in("center")
    page = center.open_application(app.number)
    start = page.locator("#step-start_expert_review")
    start.get_by_role("checkbox", name="expert1").check()
    start.get_by_role("checkbox", name="expert2").check()
    start.get_by_label("Reason for picking experts by hand").fill("专业方向对口。")
    start.get_by_role("button", name="Start the expert review").click()
    expect_state(page, "Expert review")

    # ---- each chosen expert records an opinion
    for username in ("expert1", "expert2"):
        expert = visit()
        expert.log_in(username)
        page = expert.open_application(app.number)
        page.get_by_label("I declare that I have no conflict of interest").check()
        page.get_by_role("button", name="Submit the declaration").click()
        expect(page.get_by_role("status")).to_contain_text("Your declaration was recorded.")
        page.get_by_label("Pass", exact=True).check()
        page.get_by_label("Grade you support").select_option("IETS-3")
        page.get_by_label("Opinion").fill(f"{username}：同意评为三级。")
        page.get_by_role("button", name="Submit the opinion").click()
        expect(page.get_by_role("status")).to_contain_text("Your opinion has been recorded.")
        expect(page.get_by_role("heading", name="Your expert opinion")).to_have_count(0)
        expert.close()

    # ---- center staff confirm the final grade, which opens the 7-day publicity
    page = center.open_application(app.number)
    opinions = (
        page.locator("section")
        .filter(has=page.get_by_role("heading", name="Expert opinions"))
        .get_by_role("listitem")
    )
    expect(opinions).to_have_text(
        [
            re.compile(r"^expert1 .*: pass · IETS-3 — expert1："),
            re.compile(r"^expert2 .*: pass · IETS-3 — expert2："),
        ]
    )
    confirm = page.locator("#step-confirm")
    confirm.get_by_label("Final grade").select_option("IETS-3")
    confirm.get_by_role("button", name="Confirm the result and open the publicity").click()
    expect_state(page, "In publicity")
    center.shot("05-publicity-opened")
    center.close()
    app.refresh_from_db()
    assert app.state == S.PUBLICITY
    assert app.publicity_ends_at - app.publicity_starts_at == timedelta(days=7)

    # ---- the public sees the entry in publicity
    public = visit()
    page = public.page
    page.goto("/publicity/")
    entry = page.get_by_role("row").filter(has_text=world.org.name)
    expect(entry).to_contain_text(world.org.uscc)
    expect(entry).to_contain_text("IETS-3")
    expect(entry).to_contain_text(world.inst.name)
    public.shot("06-publicity-list")

    # ---- 8 days later the scheduled job issues the certificate
    out = io.StringIO()
    call_command("run_due_jobs", at=(timezone.now() + timedelta(days=8)).isoformat(), stdout=out)
    assert "issue_after_publicity: 1" in out.getvalue().splitlines()
    certificate = Certificate.objects.get(application=app)
    assert (certificate.grade, certificate.status) == ("IETS-3", "valid")
    page.goto("/publicity/")
    expect(page.get_by_role("row").filter(has_text=world.org.name)).to_have_count(0)

    # ---- anyone finds it at /verify/ by number, by organisation name and by USCC
    valid_until = certificate.expires_on.isoformat()
    for query in (certificate.number, world.org.name, world.org.uscc):
        page.goto("/verify/")
        page.get_by_label(
            "Certificate number, unified social credit code or organisation name"
        ).fill(query)
        page.get_by_role("button", name="Verify", exact=True).click()
        found = page.get_by_role("table", name="1 certificate found")
        row = found.get_by_role("row").filter(has_text=certificate.number)
        expect(row).to_contain_text(world.org.name)
        expect(row).to_contain_text("IETS-3")
        expect(row).to_contain_text("Valid")
        expect(row).to_contain_text(valid_until)
    public.shot("07-verify-results")
    row.get_by_role("link", name=certificate.number).click()
    expect(page.get_by_role("status")).to_have_text("This certificate is genuine and valid.")
    expect(page.get_by_role("definition").filter(has_text="IETS-3 (Grade 3)")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=valid_until)).to_be_visible()
    public.shot("08-verify-certificate")
    public.close()

    # ---- a visitor in the default language sees the same verdict in Chinese
    visitor = visit(locale="zh-CN")
    page = visitor.page
    page.goto(f"/verify/{certificate.number}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    verdict = zh("This certificate is genuine and valid.")
    assert re.search(r"[\u4e00-\u9fff]", verdict), f"not translated to zh-hans: {verdict}"
    expect(page.get_by_role("status")).to_have_text(verdict)
    expect(page.get_by_text(world.org.name)).to_be_visible()
    visitor.shot("09-verify-certificate-zh-hans")
    visitor.close()

    assert problems == []
