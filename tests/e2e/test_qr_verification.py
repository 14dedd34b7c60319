"""M§18 in the browser: the QR code of a rendered certificate PDF opens the verification page,
which shows the certificate genuine with every step passed; once the center revokes it, the
same URL shows it revoked."""

from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.utils import timezone, translation
from playwright.sync_api import expect

from applications.enums import ApplicationState as S
from certificates.models import Certificate
from certificates.services import certificate_pdf_ensure, certificate_revoke
from certificates.verification import VERDICTS
from ietsportal.jobs import run_due_jobs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEPS = [
    "The code is intact",
    "Signed by this portal's key",
    "Matches the register",
    "Status is valid",
    "Within its validity period",
    "This is the latest version",
]


def step_texts(*passed: bool) -> list[str]:
    return [
        f"{'✔' if ok else '✘'} {label}: {'yes' if ok else 'no'}"
        for label, ok in zip(STEPS, passed, strict=True)
    ]


def qr_url_of(pdf_bytes: bytes) -> str:
    image = pdfium.PdfDocument(pdf_bytes)[0].render(scale=2).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert [code.format for code in codes] == [zxingcpp.BarcodeFormat.QRCode]
    return codes[0].text


def test_qr_code_of_the_pdf_opens_a_genuine_verdict_then_a_revoked_one(
    chromium, live_server, settings, flow, world, screenshot_dir
):
    # The browser reads English; the expected texts are built in English too.
    translation.activate("en")
    # The QR code points at SITE_URL: here, the live server.
    settings.SITE_URL = live_server.url
    app = flow.to(flow.draft(), S.PUBLICITY)
    run_due_jobs(now=max(timezone.now(), app.publicity_ends_at + timedelta(seconds=1)))
    certificate = certificate_pdf_ensure(certificate_id=Certificate.objects.get(application=app).pk)
    with certificate.pdf.open("rb") as handle:
        url = qr_url_of(handle.read())
    assert url.startswith(f"{live_server.url}/verify/{certificate.number}/?t=")

    problems: list[str] = []
    context = chromium.new_context(locale="en")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(certificate.number)
    expect(page.get_by_role("status")).to_have_text(str(VERDICTS["genuine"]))
    checks = page.locator("ol.checks > li")
    expect(checks).to_have_text(step_texts(True, True, True, True, True, True))
    expect(page.get_by_text(world.org.name)).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "qr-01-genuine.png"), full_page=True)

    certificate_revoke(
        number=certificate.number,
        actor=world.center,
        reason="提供虚假材料骗取证书。",
        now=timezone.now(),
    )
    page.reload()

    expect(page.get_by_role("status")).to_have_text(str(VERDICTS["revoked"]))
    expect(checks).to_have_text(step_texts(True, True, True, False, True, True))
    expect(page.locator("ol.timeline > li")).to_have_text(
        [f"{certificate.issued_on.isoformat()} Issued", f"{timezone.localdate()} Revoked"]
    )
    expect(page.get_by_text("提供虚假材料骗取证书")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "qr-02-revoked.png"), full_page=True)
    context.close()

    assert problems == []
