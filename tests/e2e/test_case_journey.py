"""Issue 6 in the browser: a public report → a case → a decision → the reporter reads the reply
with the receipt code. The reporter never logs in; the center works through its pages."""

import re

import pytest
from playwright.sync_api import expect

from applications.enums import ApplicationState as S
from certificates.enums import CertificateStatus
from supervision.models import Case

from ..conftest import T0
from .test_journey import Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_case_journey_public_report_to_reply_by_receipt_code(
    chromium, live_server, world, flow, screenshot_dir
):
    certificate = flow.to(flow.draft(), S.ISSUED, now=T0).certificate
    problems: list[str] = []

    def visit():
        return Visit(chromium, live_server.url, screenshot_dir, problems, "en")

    # ---- an anonymous reporter
    reporter = visit()
    page = reporter.page
    page.goto("/supervision/report/")
    page.get_by_label("It concerns").select_option("certificate")
    page.get_by_label("Number, name or registration number").fill(certificate.number)
    page.get_by_label("Summary").fill("证书被冒用")
    page.get_by_label("What happened").fill("该单位在投标中使用了不属于它的证书。")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report was received")
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){4}", code)
    reporter.shot("case-01-report-received")
    case = Case.objects.get()
    assert (case.kind, case.filer_id, case.state) == ("report", None, "received")

    # ---- the center takes it on and upholds it, suspending the certificate
    center = visit()
    page = center.log_in("center")
    page.goto("/supervision/cases/")
    page.get_by_role("link", name=case.number, exact=True).click()
    page.get_by_role("button", name="Start the investigation").click()
    expect(page.locator(".page-head .badge")).to_have_text("Being investigated")
    page.get_by_label("Upheld").check()
    page.get_by_label("Written reply to the filer").fill("经核查，举报属实，证书已暂停。")
    page.get_by_label("Suspend the certificate (M§19)").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".page-head .badge")).to_have_text("Upheld")
    center.shot("case-02-decided")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    # The dashboard counts the suspended certificate; its number opens the filtered list.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    center.shot("case-04-dashboard")
    page.locator("#by-status-head").locator("..").get_by_role("link", name="1").click()
    expect(page.get_by_role("cell", name=certificate.number, exact=True)).to_be_visible()

    # ---- the reporter reads the reply with the receipt code; a wrong code finds nothing
    page = reporter.page
    page.goto("/supervision/receipt/")
    page.get_by_label("Receipt code").fill("AAAA-BBBB-CCCC-DDDD-EEEE")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("alert")).to_contain_text("No case has this receipt code")
    problems.remove(next(p for p in problems if p.startswith("404 ")))
    page.get_by_label("Receipt code").fill(code.lower())
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#case-reply")).to_have_text("经核查，举报属实，证书已暂停。")
    reporter.shot("case-03-reply-by-receipt")
    reporter.close()
    center.close()
    assert problems == []
