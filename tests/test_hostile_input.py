# ruff: noqa: E501 - the catalogue tables read best one case per line
"""The hostile input catalogue (issue 9; the same list is the table in docs/reliability.md).

Each case is one parametrized test id. Hostile uploads go through the real API and must be
refused with their status and a clear message, leaving nothing behind: no file on disk, no
evidence row, no audit entry. Hostile text is stored as data and escaped wherever a page shows
it; in the certificate PDF it stays text and reaches neither files nor the network; in a CSV
export it is neutralised. Hostile requests get a 4xx, never a 500.
"""

import io
import json
import random
import re
import struct
import zipfile
import zlib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Application, Evidence
from certificates.models import Certificate
from certificates.pdf import certificate_pdf
from ietsportal.accounts.models import Organization
from ietsportal.csvsafe import neutralise, neutralise_row
from ietsportal.demo import DEMO_PDF
from ietsportal.errors import InvalidInput, UnsupportedType
from ietsportal.jobs import run_due_jobs
from ietsportal.uploads import upload_validate
from institutions.models import Institution

from .applications.test_uploads import api_client, html_client, png_bytes, stored_state
from .certificates.test_pdf import Listener, pdf_text
from .conftest import T0

# ---- hostile files, made here


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_with_text(text: bytes) -> bytes:
    """A real PNG with a tEXt chunk right after its header."""
    png = png_bytes()
    return png[:33] + png_chunk(b"tEXt", b"Comment\x00" + text) + png[33:]


def jpeg_with_comment(comment: bytes) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return b"\xff\xd8" + app0 + com + b"\xff\xd9"


def pdf_with(body: bytes) -> bytes:
    """DEMO_PDF with `body` (objects) before its trailer."""
    head, tail = DEMO_PDF.split(b"trailer")
    return head + body + b"trailer" + tail


def object_stream(inner: bytes) -> bytes:
    packed = zlib.compress(b"6 0 " + inner)
    return (
        b"5 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>stream\n" % len(packed)
        + packed
        + b"\nendstream endobj\n"
    )


OFFICE_MAIN = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def office(kind="docx", extra=(), main=b"<w:document/>") -> bytes:
    """An OOXML container: [Content_Types].xml first, then the main part, then `extra`
    (name, bytes) entries."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr(OFFICE_MAIN[kind], main)
        archive.writestr("_rels/.rels", b"<Relationships/>")
        for name, data in extra:
            archive.writestr(name, data)
    return out.getvalue()


def central_records(data: bytes) -> list[int]:
    """Offsets of the central directory records of a ZIP."""
    found, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        found.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return found


def office_overlapping() -> bytes:
    """The "better zip bomb" shape: two entries of the directory share the same data."""
    data = bytearray(office(extra=[("word/a.xml", b"<a/>" * 100)]))
    records = central_records(bytes(data))
    first_offset = data[records[0] + 42 : records[0] + 46]
    data[records[-1] + 42 : records[-1] + 46] = first_offset
    return bytes(data)


def office_encrypted() -> bytes:
    data = bytearray(office())
    record = central_records(bytes(data))[1]
    data[record + 8] |= 0x1  # general purpose flag: encrypted
    return bytes(data)


def zip_of(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


SCRIPT = b"<script>alert(1)</script>"
EN = "en"

# (id, file name, content, status, words the English message contains)
UPLOADS = [
    ("oversized-11MB", "大文件.pdf", None, 413, "larger than 10 MB"),
    ("empty", "空.pdf", b"", 400, "The file is empty."),
    ("html-named-pdf", "报告.pdf", b"<!DOCTYPE html><html>" + SCRIPT, 415, "content is not one of"),
    ("png-named-pdf", "截图.pdf", png_bytes(), 415, "ends in “.pdf” but its content is image/png"),
    ("pdf-named-docx", "证明.docx", DEMO_PDF, 415, "ends in “.docx” but its content is"),
    ("no-extension", "证书", DEMO_PDF, 415, "ends in “—”"),
    ("exe-named-pdf", "setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, 415, "not one of them"),
    ("svg-named-png", "logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x"/>', 415, "not one of them"),
    ("zip-named-docx", "材料.docx", zip_of("a.txt", b"hello"), 415, "not one of them"),
    ("zip-bomb-ratio", "炸弹.docx", office(extra=[("word/big.xml", b"\0" * (20 * 1024 * 1024))]), 415, "zip bomb"),
    ("zip-bomb-overlapping", "重叠.docx", office_overlapping(), 415, "zip bomb"),
    ("office-encrypted", "加密.docx", office_encrypted(), 415, "encrypted"),
    ("office-damaged", "损坏.docx", office(extra=[("word/p.xml", random.Random(9).randbytes(20000))])[:9000], 415, "damaged"),
    ("office-zip-slip", "路径.docx", office(extra=[("../../etc/cron.d/x", b"* * * * * root sh")]), 415, "damaged"),
    ("office-nested-archive-by-name", "嵌套.docx", office(extra=[("word/embeddings/x.xlsx", b"data")]), 415, "another archive"),
    ("office-nested-archive-by-content", "嵌套2.xlsx", office("xlsx", extra=[("xl/media/image1.png", zip_of("x", b"y"))]), 415, "another archive"),
    ("office-macros", "宏.docx", office(extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")]), 415, "macros"),
    ("png-with-script-appended", "图.png", png_bytes() + SCRIPT, 415, "HTML or script"),
    ("png-with-html-in-text-chunk", "图2.png", png_with_text(b"<html><body onload=alert(1)>"), 415, "HTML or script"),
    ("jpeg-with-svg-in-comment", "照片.jpg", jpeg_with_comment(b"<svg onload=alert(1)>"), 415, "HTML or script"),
    ("png-pdf-polyglot", "双重.png", png_with_text(b"%PDF-1.4 1 0 obj<<>>endobj"), 415, "both image/png and application/pdf"),
    ("pdf-zip-polyglot", "双重.pdf", DEMO_PDF + zip_of("x.html", SCRIPT), 415, "both application/pdf and application/zip"),
    ("pdf-with-html-head", "网页.pdf", DEMO_PDF[:9] + b"<html>" + SCRIPT + DEMO_PDF[9:], 415, "HTML or script"),
    ("pdf-javascript", "脚本.pdf", pdf_with(b"4 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n"), 415, "/JS, /JavaScript"),
    ("pdf-js-only", "脚本2.pdf", pdf_with(b"4 0 obj<</JS 7 0 R>>endobj\n"), 415, "(/JS)"),
    ("pdf-openaction", "自动.pdf", pdf_with(b"4 0 obj<</OpenAction[3 0 R/Fit]>>endobj\n"), 415, "(/OpenAction)"),
    ("pdf-additional-actions", "自动2.pdf", pdf_with(b"4 0 obj<</AA<</O 8 0 R>>>>endobj\n"), 415, "(/AA)"),
    ("pdf-launch", "启动.pdf", pdf_with(b"4 0 obj<</S/Launch/F(cmd.exe)>>endobj\n"), 415, "(/Launch)"),
    ("pdf-embedded-file", "附件.pdf", pdf_with(b"4 0 obj<</Type/EmbeddedFile/Length 3>>stream\nabc\nendstream endobj\n"), 415, "(/EmbeddedFile)"),
    ("pdf-hex-escaped-name", "混淆.pdf", pdf_with(b"4 0 obj<</S/J#61vaScript/J#53(x)>>endobj\n"), 415, "/JS, /JavaScript"),
    ("pdf-js-in-compressed-object-stream", "压缩.pdf", pdf_with(object_stream(b"<</S/JavaScript/JS(app.alert(1))>>")), 415, "/JS, /JavaScript"),
]  # fmt: skip


def oversized() -> bytes:
    return DEMO_PDF + b"0" * (10 * 1024 * 1024 + 1 - len(DEMO_PDF))


@pytest.fixture
def draft(flow):
    return flow.draft(evidence=False)


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [case[1:] for case in UPLOADS],
    ids=[case[0] for case in UPLOADS],
)
def test_hostile_upload_is_refused_and_stores_nothing(world, draft, name, content, status, words):
    before = stored_state()
    content = oversized() if content is None else content
    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE=EN,
    )
    body = response.json()
    assert (response.status_code, body["field"]) == (status, "file"), body
    assert words in body["detail"], body["detail"]
    assert stored_state() == before


# Names the service refuses (a browser or Django's parser may strip some first; a hand-made
# client or another caller of the service need not).
NAMES = [
    ("dotdot-slash", "../../etc/passwd.pdf", "must not contain a path"),
    ("backslash-path", "..\\..\\windows\\证明.pdf", "must not contain a path"),
    ("nul", "证明\x00.pdf", "control or invisible"),
    ("rlo-disguised-extension", "证明\u202efdp.exe.pdf", "text-direction"),
    ("rli-isolate", "证明\u2067.pdf", "text-direction"),
    ("zero-width-space", "证\u200b明.pdf", "control or invisible"),
    ("line-separator", "证明\u2028.pdf", "control or invisible"),
]


@pytest.mark.parametrize(("name", "words"), [c[1:] for c in NAMES], ids=[c[0] for c in NAMES])
def test_hostile_file_name_is_refused_and_stores_nothing(world, draft, name, words):
    from django.utils import translation

    before = stored_state()
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.evidence_add(
            application=draft,
            actor=world.applicant,
            upload=ContentFile(DEMO_PDF, name=name),
            now=T0,
        )
    assert (refused.value.status_code, refused.value.field) == (400, "file")
    assert words in str(refused.value.message)
    assert stored_state() == before


def test_hostile_upload_message_is_in_chinese_by_default(world, draft):
    before = stored_state()
    response = html_client(world.applicant).post(
        f"/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("脚本.pdf", pdf_with(b"4 0 obj<</JS(x)>>endobj\n"))},
    )
    assert response.status_code == 415
    assert "该 PDF 含有活动内容（/JS）" in response.content.decode()
    assert stored_state() == before


def test_office_document_beyond_the_total_unpacked_limit_is_refused():
    # Entries of ordinary ratio that add up to more than the limit (here 64 KB).
    parts = [(f"word/p{i}.xml", bytes(range(256)) * 100) for i in range(4)]
    with pytest.raises(UnsupportedType) as refused:
        upload_validate(
            ContentFile(office(extra=parts), name="大.docx"), max_bytes=10**7, max_unpacked=65536
        )
    assert "压缩炸弹" in str(refused.value.message)  # the default language


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("营业执照.pdf", DEMO_PDF, "application/pdf"),
        ("现场.png", png_bytes(), "image/png"),
        ("现场.jpeg", jpeg_with_comment(b"camera"), "image/jpeg"),
        ("报告.docx", office("docx"), "application/vnd.openxmlformats-officedocument."
         "wordprocessingml.document"),
        ("人员.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument."
         "spreadsheetml.sheet"),
        ("介绍.pptx", office("pptx"), "application/vnd.openxmlformats-officedocument."
         "presentationml.presentation"),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "pptx"],
)  # fmt: skip
def test_ordinary_files_still_pass_every_check(world, draft, name, content, mime):
    # The control: the checks above refuse the hostile variants, not the files themselves.
    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert (response.status_code, response.json()["content_type"]) == (201, mime)
    assert Evidence.objects.get().original_name == name


# ---- hostile text, shown on pages

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def hostile(world, flow):
    """An application in publicity and an issued one, whose every free-text field shown on a
    page carries PAYLOAD."""
    now = timezone.now().replace(microsecond=0)
    in_publicity = flow.to(flow.draft(now=now), S.PUBLICITY, now=now)
    issued = flow.to(flow.draft(now=T0), S.ISSUED)
    Organization.objects.filter(pk=world.org.pk).update(name=f"{PAYLOAD}公司", address=PAYLOAD)
    Institution.objects.filter(pk=world.inst.pk).update(name=f"{PAYLOAD}机构")
    Application.objects.filter(pk=in_publicity.pk).update(description=PAYLOAD, last_reason=PAYLOAD)
    services.objection_file(
        application_id=in_publicity.pk,
        name=f"{PAYLOAD}张三",
        contact=PAYLOAD,
        reason=PAYLOAD,
        now=now + timedelta(minutes=1),
    )
    return in_publicity, issued


PAGES = [
    ("publicity-list-org-and-institution", None, "/publicity/"),
    ("publicity-detail", None, "/publicity/{pub}/"),
    ("verify-search", None, "/verify/?q=公司"),
    ("verify-detail", None, "/verify/{number}/"),
    ("certificate-page", "applicant", "/certificates/{number}/"),
    ("application-detail-objection-and-reasons", "center", "/applications/{pub}/"),
    ("workspace-institution", "inst_admin", "/workspace/"),
]


@pytest.mark.parametrize(("who", "url"), [c[1:] for c in PAGES], ids=[c[0] for c in PAGES])
def test_script_in_free_text_is_escaped_on_the_page(world, hostile, who, url):
    in_publicity, issued = hostile
    url = url.format(pub=in_publicity.pk, number=issued.certificate.number)
    client = html_client(getattr(world, who)) if who else APIClient()
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert ESCAPED in html


def test_evidence_name_with_markup_is_escaped_and_never_a_path(world, draft):
    name = "<img src=x onerror=alert(1)>.pdf"
    evidence = services.evidence_add(
        application=draft, actor=world.applicant, upload=ContentFile(DEMO_PDF, name=name), now=T0
    )
    html = html_client(world.applicant).get(f"/applications/{draft.pk}/").content.decode()
    assert ("<img src=x" in html, "&lt;img src=x onerror=alert(1)&gt;.pdf" in html) == (
        False,
        True,
    )
    download = html_client(world.applicant).get(f"/applications/{draft.pk}/evidence/{evidence.pk}/")
    # A quoted ASCII name: the header carries no markup a browser would run, nor a new line.
    assert (
        download["Content-Disposition"] == 'attachment; filename="<img src=x onerror=alert(1)>.pdf"'
    )
    assert "\n" not in download["Content-Disposition"]
    assert "<" not in evidence.file.name


# ---- hostile text in the certificate PDF (WeasyPrint)


@pytest.fixture
def marker_file():
    """A local file the renderer must not read (a short path: names have 200 characters)."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="m", dir="/tmp"))
    secret = folder / "s"
    secret.write_text("H9SECRET4LEAK", encoding="utf-8")
    yield secret
    shutil.rmtree(folder)


@pytest.mark.parametrize("field", ["organization", "institution"])
def test_markup_in_a_certificate_field_reaches_no_file_and_no_network(
    world, flow, marker_file, field
):
    listener = Listener()
    base = f"http://127.0.0.1:{listener.port}"
    hostile_name = (
        f'<img src="{marker_file.as_uri()}"><img src="file:///etc/passwd">'
        f'<link rel=stylesheet href="{base}/x"><style>@import url({base}/i)</style>'
    )
    assert len(hostile_name) <= 200
    app = flow.to(flow.draft(), S.PUBLICITY)
    run_due_jobs(now=app.publicity_ends_at + timedelta(seconds=1))
    model = Organization if field == "organization" else Institution
    model.objects.filter(pk=(world.org if field == "organization" else world.inst).pk).update(
        name=hostile_name
    )
    certificate = Certificate.objects.select_related("organization", "institution").get(
        application=app
    )
    try:
        data = certificate_pdf(certificate)
        text = pdf_text(data)
        assert (listener.connections(), "H9SECRET4LEAK" in text, b"root:x:0:0" in data) == (
            0,
            False,
            False,
        )
        # The markup is shown as the text it is.
        assert '<imgsrc="file:///etc/passwd">' in re.sub(r"\s", "", text)
    finally:
        listener.server.close()


# ---- CSV formula injection (ietsportal/csvsafe.py)

CSV_CELLS = [
    ("equals", '=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("minus", "-2+3", "'-2+3"),
    ("at", "@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("tab", "\t=1", "'\t=1"),
    ("carriage-return", "\r=1", "'\r=1"),
    ("leading-space", "  =1", "'  =1"),
    ("fullwidth-equals", "＝1+1", "'＝1+1"),
    ("ideographic-space-fullwidth-plus", "\u3000＋1", "'\u3000＋1"),
    ("blanks-only-untouched", " \u3000 ", " \u3000 "),
    ("plain-text-untouched", "北京甲科技有限公司", "北京甲科技有限公司"),
    ("inner-equals-untouched", "a=b", "a=b"),
    ("negative-number-untouched", -5, -5),
    ("empty-untouched", "", ""),
]


@pytest.mark.parametrize(
    ("value", "safe"), [c[1:] for c in CSV_CELLS], ids=[c[0] for c in CSV_CELLS]
)
def test_csv_cell_starting_a_formula_is_neutralised(value, safe):
    assert neutralise(value) == safe


def test_csv_row_written_with_neutralise_row_opens_as_text():
    import csv

    out = io.StringIO()
    csv.writer(out).writerow(neutralise_row(["SQ1", "=1+1", 3, None]))
    assert out.getvalue() == "SQ1,'=1+1,3,\r\n"


# ---- hostile requests: a 4xx with a message, never a 500


@pytest.fixture
def anon():
    return APIClient()


def post_raw(client, url, body: bytes, content_type: str):
    return client.generic("POST", url, body, content_type=content_type, HTTP_ACCEPT_LANGUAGE=EN)


REQUESTS = [
    ("json-body-3MB", lambda c: post_raw(c, "/api/v1/auth/register/", json.dumps({"name": "x" * (3 * 1024 * 1024)}).encode(), "application/json"), 400),
    ("json-nested-100000-deep", lambda c: post_raw(c, "/api/v1/auth/register/", b"[" * 100000 + b"]" * 100000, "application/json"), 400),
    ("json-malformed", lambda c: post_raw(c, "/api/v1/auth/register/", b'{"name": ', "application/json"), 400),
    ("content-type-xml", lambda c: post_raw(c, "/api/v1/auth/register/", b"<a/>", "application/xml"), 415),
    ("content-type-text", lambda c: post_raw(c, "/api/v1/auth/token/", b"username=a", "text/plain"), 415),
    ("api-page-huge", lambda c: c.get("/api/v1/public/publicity/?page=99999999999999999999999"), 404),
    ("api-page-negative", lambda c: c.get("/api/v1/public/publicity/?page=-1"), 404),
    ("api-page-text", lambda c: c.get("/api/v1/institutions/?page=abc"), 404),
    ("html-page-huge", lambda c: c.get("/publicity/?page=99999999999999999999999"), 404),
    ("query-nul", lambda c: c.get("/verify/?q=%00公司"), 400),
    ("api-query-nul", lambda c: c.get("/api/v1/public/certificates/?q=%00"), 400),
    ("html-query-nul-in-key", lambda c: c.get("/publicity/?%00=1"), 400),
    ("query-10000-chars", lambda c: c.get("/verify/?q=" + "公" * 10000), 200),
    ("objection-nul-in-reason", lambda c: c.post("/api/v1/public/publicity/1/objections/", {"name": "张三", "contact": "1", "reason": "a\x00b"}, format="json"), 400),
    ("register-nul-in-name", lambda c: c.post("/api/v1/auth/register/", {"name": "公司\x00", "uscc": "x", "org_type": "enterprise", "username": "u", "password": "p"}, format="json"), 400),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "status"), [c[1:] for c in REQUESTS], ids=[c[0] for c in REQUESTS]
)
def test_hostile_request_gets_a_4xx_never_a_500(world, anon, request_, status):
    response = request_(anon)
    assert response.status_code == status


def test_fullwidth_lookalike_of_an_existing_username_is_refused(world, anon):
    """NFKC folds ａｐｐｌｉｃａｎｔ into `applicant`, who exists: no second account that
    looks the same."""
    from tests.factories import make_uscc

    response = anon.post(
        "/api/v1/auth/register/",
        {
            "name": "仿冒公司",
            "uscc": make_uscc(),
            "org_type": "enterprise",
            "username": "ａｐｐｌｉｃａｎｔ",
            "password": "a-long-Passw0rd!",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE=EN,
    )
    assert response.status_code in (400, 409), response.json()
    assert Organization.objects.filter(name="仿冒公司").count() == 0


def test_cross_script_lookalike_username_is_a_different_account(world, anon):
    """Recorded, not refused: NFKC does not fold a Cyrillic а into a Latin a, and usernames
    appear on no public page (docs/reliability.md)."""
    from tests.factories import make_uscc

    response = anon.post(
        "/api/v1/auth/register/",
        {
            "name": "西里尔字母公司",
            "uscc": make_uscc(),
            "org_type": "enterprise",
            "username": "\u0430pplicant",
            "password": "a-long-Passw0rd!",
        },
        format="json",
    )
    assert (response.status_code, response.json()["username"]) == (201, "\u0430pplicant")


def test_marker_bytes_inside_pixels_or_page_streams_are_no_false_alarm(world, draft):
    """Compressed pixels and page streams may hold any byte sequence by chance; only an
    image's metadata and head, and a PDF's dictionaries, are searched. Scans stay accepted."""
    noise = random.Random(3).randbytes(HEAD := 9000)
    png = png_bytes()
    pixels = png[:-12] + png_chunk(b"IDAT", noise + b"<svg <script") + png[-12:]
    jpeg = jpeg_with_comment(b"camera")[:-2] + b"\xff\xda\x00\x02" + noise + b"<html" + b"\xff\xd9"
    # A page that draws text in a font resource named /JS (compressed, as pages are).
    page = zlib.compress(b"BT /JS 12 Tf (x) Tj ET /OpenAction " + b"0 0 m 9 9 l S\n" * 900)
    pdf = pdf_with(
        b"4 0 obj<</Length %d/Filter/FlateDecode>>stream\n" % len(page)
        + page
        + b"\nendstream endobj\n"
    )
    client = api_client(world.applicant)
    got = [
        client.post(
            f"/api/v1/applications/{draft.pk}/evidence/",
            {"file": SimpleUploadedFile(name, content)},
            format="multipart",
        ).status_code
        for name, content in (("像素.png", pixels), ("扫描.jpg", jpeg), ("页面.pdf", pdf))
    ]
    assert (got, len(noise)) == ([201, 201, 201], HEAD)
