"""M§18: the certificate PDF (WeasyPrint): its QR code holds the signed verification URL, its
text the number and holder; the renderer reaches neither local files nor the network; the
stored PDF is rendered once per version (also by the Celery task) and downloaded only by the
holder, the issuing institution and the center."""

import base64
import os
import socket
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from applications.enums import ApplicationState as S
from certificates.models import Certificate
from certificates.pdf import certificate_pdf, render_pdf
from certificates.services import certificate_pdf_ensure
from certificates.signing import certificate_facts, sign_facts, verify_token
from certificates.tasks import render_certificate_pdf
from certificates.verification import verify_presented
from ietsportal.jobs import run_due_jobs

MARKER = "H6MARKER7Q2Z"


@pytest.fixture
def certificate(flow, world):
    app = flow.to(flow.draft(), S.PUBLICITY)
    run_due_jobs(now=max(timezone.now(), app.publicity_ends_at + timedelta(seconds=1)))
    return Certificate.objects.select_related("organization", "institution").get(application=app)


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def qr_codes(data: bytes) -> list[str]:
    image = pdfium.PdfDocument(data)[0].render(scale=2).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image)]


def test_certificate_pdf_carries_the_signed_verification_url_in_its_qr_code(certificate):
    data = certificate_pdf(certificate)

    assert data.startswith(b"%PDF-")
    token = sign_facts(certificate_facts(certificate))
    assert qr_codes(data) == [f"{settings.SITE_URL}/verify/{certificate.number}/?t={token}"]
    checked = verify_token(token)
    assert (checked.well_formed, checked.signed_by_portal, checked.facts) == (
        True,
        True,
        certificate_facts(certificate),
    )
    verification = verify_presented(
        number=certificate.number,
        token=token,
        certificate=certificate,
        today=certificate.issued_on,
    )
    assert verification.verdict == "genuine"


def test_certificate_pdf_text_has_the_number_holder_and_facts(certificate):
    text = pdf_text(certificate_pdf(certificate))

    assert len(pdfium.PdfDocument(certificate_pdf(certificate))) == 1
    for expected in (
        certificate.number,
        certificate.organization.name,
        certificate.organization.uscc,
        certificate.institution.name,
        "IETS-3",
        "三级",
        "信息化工程与技术服务能力评价",
        f"{certificate.expires_on.year}年{certificate.expires_on.month}月"
        f"{certificate.expires_on.day}日",
    ):
        assert expected in text, expected
    assert "换发" not in text
    assert "补发" not in text


def test_certificate_pdf_of_a_later_version_shows_the_version_and_edition_mark(certificate):
    Certificate.objects.filter(pk=certificate.pk).update(version=2, edition="reissued")
    certificate.refresh_from_db()

    data = certificate_pdf(certificate)

    assert "（第 2 版）" in pdf_text(data)
    assert "补发" in pdf_text(data)
    assert qr_codes(data) == [
        f"{settings.SITE_URL}/verify/{certificate.number}/"
        f"?t={sign_facts(certificate_facts(certificate))}"
    ]


# ---- the renderer's URL fetcher: data: URIs only


class Listener:
    """A TCP port on 127.0.0.1 that records whether anything connected to it."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.setblocking(False)
        self.port = self.server.getsockname()[1]

    def connections(self) -> int:
        """Connections made so far (the kernel queues them even though nobody accepts)."""
        count = 0
        while True:
            try:
                conn, _ = self.server.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def listener():
    listening = Listener()
    yield listening
    listening.server.close()


def test_listener_notices_a_connection(listener):
    # the check the next test relies on
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass

    assert listener.connections() == 1


def test_renderer_makes_no_network_request(listener):
    base = f"http://127.0.0.1:{listener.port}"
    html = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="{base}/x.css">
<style>@import url("{base}/imported.css"); @font-face {{ font-family: X; src: url({base}/f.woff); }}
body {{ background: url({base}/bg.png); font-family: X; }}</style>
</head><body><p>network</p><img src="{base}/logo.png"><object data="{base}/o.svg"></object>
<embed src="{base}/e.svg"><iframe src="{base}/frame.html"></iframe></body></html>"""

    data = render_pdf(html)

    assert data.startswith(b"%PDF-")
    assert "network" in pdf_text(data)
    assert listener.connections() == 0


@pytest.fixture
def local_files(tmp_path):
    """Local files that would put MARKER into the PDF's text if the renderer read them."""
    css = tmp_path / "leak.css"
    css.write_text(f'body::after {{ content: "{MARKER}-css"; }}', encoding="utf-8")
    svg = tmp_path / "leak.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60">'
        f'<text x="5" y="40" font-size="30">{MARKER}-svg</text></svg>',
        encoding="utf-8",
    )
    return css, svg


def test_renderer_reads_no_local_file(local_files):
    css, svg = local_files
    html = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="{css.as_uri()}"><style>@import url("{css.as_uri()}");</style>
</head><body><p>local</p>
<img src="file:///etc/passwd"><img src="{svg.as_uri()}"><object data="{svg.as_uri()}"></object>
<embed src="{svg.as_uri()}"><iframe src="{css.as_uri()}"></iframe>
<img src="{svg}"><link rel="stylesheet" href="{css}"></body></html>"""

    data = render_pdf(html)

    text = pdf_text(data)
    assert "local" in text
    assert MARKER not in text
    assert b"root:x:0:0" not in data
    assert MARKER.encode() not in data


def test_renderer_uses_data_uris(local_files):
    # the same resources as data: URIs are rendered, so the test above would see a leak
    css, svg = local_files
    css_uri = "data:text/css;base64," + base64.b64encode(css.read_bytes()).decode()
    svg_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.read_bytes()).decode()
    html = f"""<!DOCTYPE html><html><head><link rel="stylesheet" href="{css_uri}"></head>
<body><p>inline</p><img src="{svg_uri}"></body></html>"""

    text = pdf_text(render_pdf(html))

    assert f"{MARKER}-css" in text
    assert f"{MARKER}-svg" in text


# ---- stored once per version


def stored(certificate):
    path = default_storage.path(certificate.pdf.name)
    return certificate.pdf.name, os.stat(path).st_mtime_ns


def test_pdf_ensure_renders_once_per_version(certificate):
    first = certificate_pdf_ensure(certificate_id=certificate.pk)
    assert (first.pdf.name, first.pdf_version) == (f"certificates/{certificate.number}-v1.pdf", 1)
    before = stored(first)
    with first.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"

    again = certificate_pdf_ensure(certificate_id=certificate.pk)

    assert stored(again) == before
    row = Certificate.objects.values("pdf", "pdf_version").get(pk=certificate.pk)
    assert row == {"pdf": f"certificates/{certificate.number}-v1.pdf", "pdf_version": 1}
    assert sorted(os.listdir(default_storage.path("certificates"))) == [
        f"{certificate.number}-v1.pdf"
    ]


def test_pdf_ensure_renders_again_after_a_version_bump(certificate):
    old = certificate_pdf_ensure(certificate_id=certificate.pk)
    Certificate.objects.filter(pk=certificate.pk).update(version=2, edition="changed")

    new = certificate_pdf_ensure(certificate_id=certificate.pk)

    assert (new.pdf.name, new.pdf_version) == (f"certificates/{certificate.number}-v2.pdf", 2)
    assert Certificate.objects.values_list("pdf", "pdf_version").get(pk=certificate.pk) == (
        f"certificates/{certificate.number}-v2.pdf",
        2,
    )
    assert default_storage.exists(old.pdf.name) is False
    assert sorted(os.listdir(default_storage.path("certificates"))) == [
        f"{certificate.number}-v2.pdf"
    ]
    with new.pdf.open("rb") as handle:
        data = handle.read()
    assert "换发" in pdf_text(data)
    assert qr_codes(data) == [
        f"{settings.SITE_URL}/verify/{certificate.number}/?t={sign_facts(certificate_facts(new))}"
    ]


def test_render_task_is_idempotent(certificate):
    render_certificate_pdf(certificate.pk)
    certificate.refresh_from_db()
    first = stored(certificate)

    render_certificate_pdf(certificate.pk)
    render_certificate_pdf(certificate.pk)

    certificate.refresh_from_db()
    assert stored(certificate) == first
    assert first[0] == f"certificates/{certificate.number}-v1.pdf"
    assert certificate.pdf_version == 1


def test_render_task_of_a_missing_certificate_does_nothing(db):
    assert render_certificate_pdf(999_999) is None
    assert Certificate.objects.count() == 0


# ---- the download


@pytest.mark.parametrize("who", ["applicant", "inst_admin", "center"])
def test_holder_institution_and_center_download_the_pdf(client, world, certificate, who):
    client.force_login(getattr(world, who))

    response = client.get(f"/certificates/{certificate.number}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-")
    assert certificate.number in pdf_text(data)


@pytest.mark.parametrize("who", ["other_applicant", "other_admin"])
def test_others_do_not_get_the_pdf(client, world, certificate, who):
    client.force_login(getattr(world, who))

    response = client.get(f"/certificates/{certificate.number}/pdf/")

    assert response.status_code == 404
    assert Certificate.objects.get(pk=certificate.pk).pdf == ""


def test_pdf_lost_from_storage_is_rendered_again(flow, world, client):
    from certificates.models import Certificate
    from certificates.services import certificate_pdf_ensure

    certificate = Certificate.objects.get(application=flow.to(flow.draft(), S.ISSUED))
    certificate = certificate_pdf_ensure(certificate_id=certificate.pk)
    certificate.pdf.storage.delete(certificate.pdf.name)
    client.force_login(world.applicant)
    response = client.get(f"/certificates/{certificate.number}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
