"""Bad input (issue 2): uploads, file names, HTML in names, invalid USCC. Every refusal has a
clear message and its own status, and stores nothing: no row, no file, no audit entry."""

import re
import struct
import zlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from applications.models import Application, Evidence
from ietsportal.accounts.models import Organization, validate_uscc
from ietsportal.audit.models import AuditEntry
from ietsportal.demo import DEMO_PDF
from ietsportal.errors import InvalidInput

from ..conftest import T0
from ..factories import OrganizationFactory, UserFactory, make_uscc


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def html_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def media_files() -> set[str]:
    root = settings.MEDIA_ROOT
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


def stored_state():
    """Everything an upload could leave behind."""
    return (Evidence.objects.count(), AuditEntry.objects.count(), media_files())


@pytest.fixture
def draft(flow):
    return flow.draft(evidence=False)


# ---- size, type and emptiness


def test_evidence_upload_oversized_is_413_and_stores_nothing(world, draft):
    before = stored_state()
    big = SimpleUploadedFile(
        "大文件.pdf", DEMO_PDF + b"0" * (settings.EVIDENCE_MAX_BYTES + 1 - len(DEMO_PDF))
    )
    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"file": big},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "The file is larger than 10 MB.", "field": "file"},
    )
    assert stored_state() == before


def test_evidence_form_oversized_rerenders_the_page_with_413(world, draft):
    before = stored_state()
    big = SimpleUploadedFile(
        "大文件.pdf", DEMO_PDF + b"0" * (settings.EVIDENCE_MAX_BYTES + 1 - len(DEMO_PDF))
    )
    response = html_client(world.applicant).post(
        f"/applications/{draft.pk}/evidence/", {"file": big, "description": "营业执照"}
    )
    assert response.status_code == 413
    assert response.templates[0].name == "applications/detail.html"
    assert '<p class="message error" role="alert">文件大小超过 10 MB。</p>' in (
        response.content.decode()
    )
    assert stored_state() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "报告.pdf",
            HTML_PAGE,
            "Evidence must be a PDF, PNG, JPEG, Word, Excel or PowerPoint "
            "file; this file's content is not one of them.",
        ),
        ("截图.pdf", png_bytes(), "The file name ends in “.pdf” but its content is image/png."),
        ("证书.png", DEMO_PDF, "The file name ends in “.png” but its content is application/pdf."),
        ("证书", DEMO_PDF, "The file name ends in “—” but its content is application/pdf."),
    ],
    ids=["html-named-pdf", "png-named-pdf", "pdf-named-png", "no-extension"],
)
def test_evidence_upload_mislabelled_is_415(world, draft, name, content, message):
    before = stored_state()
    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (response.status_code, response.json()) == (415, {"detail": message, "field": "file"})
    assert stored_state() == before


def test_evidence_form_mislabelled_is_415_with_the_message(world, draft):
    before = stored_state()
    response = html_client(world.applicant).post(
        f"/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("报告.pdf", HTML_PAGE)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 415
    assert "this file&#x27;s content is not one of them.</p>" in response.content.decode()
    assert stored_state() == before


def test_evidence_upload_empty_file_is_400(world, draft):
    before = stored_state()
    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("空.pdf", b"")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "The file is empty.", "field": "file"},
    )
    response = html_client(world.applicant).post(
        f"/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("空.pdf", b"")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "The submitted file is empty.</p>" in response.content.decode()
    assert stored_state() == before


def test_evidence_upload_without_a_file_is_400(world, draft):
    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"description": "无文件"},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Choose a file to upload.", "field": "file"},
    )


# ---- file names


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\证明.pdf",
        "a/b.pdf",
        "证明..pdf",
        ".hidden.pdf",
        "证明\x00.pdf",
        "证明\x07.pdf",
        "证明\n.pdf",
        "证明\u202efdp.pdf",
        "证\u200b明.pdf",
        "",
        "x" * 147 + ".pdf",
    ],
    ids=[
        "dotdot-slash",
        "backslash",
        "slash",
        "dotdot",
        "leading-dot",
        "nul",
        "bell",
        "newline",
        "rlo",
        "zero-width",
        "empty",
        "too-long",
    ],
)
def test_evidence_add_refuses_a_name_that_is_a_path_or_hides_characters(world, draft, name):
    before = stored_state()
    # ContentFile keeps the name as given (an UploadedFile would drop the directories first).
    with pytest.raises(InvalidInput) as refused:
        services.evidence_add(
            application=draft,
            actor=world.applicant,
            upload=ContentFile(DEMO_PDF, name=name),
            now=T0,
        )
    assert (refused.value.status_code, refused.value.field) == (400, "file")
    assert stored_state() == before


def raw_multipart(name: str, content: bytes) -> tuple[bytes, str]:
    """A request body as a hand-made client would send it (the test client strips paths)."""
    boundary = "----iets-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"'
        f"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("name", "status", "kept_as"),
    [
        # Django's request parser already drops directories and unprintable characters; what is
        # left is checked by the service.
        ("../../etc/证明.pdf", 201, "证明.pdf"),
        ("..\\..\\证明.pdf", 201, "证明.pdf"),
        ("证明\x07\u202efdp.pdf", 201, "证明fdp.pdf"),
        ("证明..pdf", 400, None),
        (".hidden.pdf", 400, None),
        ("..", 400, None),  # nothing left of the name: no file at all
    ],
)
def test_evidence_upload_crafted_name_never_reaches_the_disk(world, draft, name, status, kept_as):
    before = stored_state()
    body, content_type = raw_multipart(name, DEMO_PDF)
    response = api_client(world.applicant).generic(
        "POST", f"/api/v1/applications/{draft.pk}/evidence/", body, content_type=content_type
    )
    assert response.status_code == status
    if kept_as is None:
        assert response.json()["field"] == "file"
        assert stored_state() == before
    else:
        evidence = Evidence.objects.get()
        assert (evidence.original_name, response.json()["original_name"]) == (kept_as, kept_as)
        assert re.fullmatch(rf"evidence/{draft.pk}/[0-9a-f]{{32}}", evidence.file.name)
        assert media_files() - before[2] == {evidence.file.name}


# ---- a good upload, and what the download looks like


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("营业执照.pdf", DEMO_PDF, "application/pdf"),
        ("现场照片.PNG", png_bytes(), "image/png"),
    ],
)
def test_evidence_upload_valid_file_is_201_with_digest_and_type(world, draft, name, content, mime):
    import hashlib

    response = api_client(world.applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {
            "file": SimpleUploadedFile(name, content, content_type="text/html"),
            "description": "材料",
        },
        format="multipart",
    )
    assert response.status_code == 201
    evidence = Evidence.objects.get()
    body = response.json()
    assert {
        k: body[k]
        for k in ("original_name", "content_type", "size", "sha256", "description", "download_url")
    } == {
        "original_name": name,
        "content_type": mime,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "description": "材料",
        "download_url": f"/applications/{draft.pk}/evidence/{evidence.pk}/",
    }
    assert AuditEntry.objects.filter(action="evidence.add").count() == 1


def test_evidence_stored_name_is_server_generated(world, draft):
    evidence = services.evidence_add(
        application=draft,
        actor=world.applicant,
        upload=SimpleUploadedFile("我的营业执照.pdf", DEMO_PDF),
        now=T0,
    )
    assert re.fullmatch(rf"evidence/{draft.pk}/[0-9a-f]{{32}}", evidence.file.name)
    assert "营业执照" not in evidence.file.name
    assert (settings.MEDIA_ROOT / evidence.file.name).read_bytes() == DEMO_PDF


def test_evidence_download_is_an_attachment_with_nosniff(world, flow):
    app = flow.draft()
    evidence = app.evidence.get()
    response = html_client(world.applicant).get(f"/applications/{app.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DEMO_PDF
    assert {
        h: response[h] for h in ("Content-Type", "Content-Disposition", "X-Content-Type-Options")
    } == {
        "Content-Type": "application/pdf",
        "Content-Disposition": "attachment; filename*=utf-8''"
        "%E8%AF%81%E6%98%8E%E6%9D%90%E6%96%99.pdf",
        "X-Content-Type-Options": "nosniff",
    }


def test_evidence_download_by_another_tenant_is_404(world, flow):
    app = flow.draft()
    evidence = app.evidence.get()
    url = f"/applications/{app.pk}/evidence/{evidence.pk}/"
    got = [
        html_client(u).get(url).status_code
        for u in (
            world.other_applicant,
            world.inst_admin,
            world.other_admin,
            world.assessors[0],
            world.experts[0],
        )
    ]
    assert got == [404, 404, 404, 404, 404]  # a draft: not even its institution sees it


def test_evidence_upload_by_another_tenant_is_404_and_stores_nothing(world, draft):
    before = stored_state()
    response = api_client(world.other_applicant).post(
        f"/api/v1/applications/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("证明.pdf", DEMO_PDF)},
        format="multipart",
    )
    assert response.status_code == 404
    response = html_client(world.other_applicant).post(
        f"/applications/{draft.pk}/evidence/", {"file": SimpleUploadedFile("证明.pdf", DEMO_PDF)}
    )
    assert response.status_code == 404
    assert stored_state() == before


# ---- HTML in an organisation name


EVIL = "<script>alert(1)</script>公司"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;公司"


def test_organization_name_html_is_escaped_on_every_page(world, flow):
    org = OrganizationFactory(name=EVIL)
    applicant = UserFactory(organization=org, username="evil-applicant")
    issued = flow.to(flow.draft(applicant), S.ISSUED)
    later = T0 + timedelta(days=30)
    in_publicity = flow.to(flow.draft(applicant, now=later), S.PUBLICITY, now=later)
    number = issued.certificate.number
    pages = {
        "workspace applicant": (applicant, "/workspace/"),
        "workspace institution": (world.inst_admin, "/workspace/"),
        "workspace center": (world.center, "/workspace/"),
        "detail": (applicant, f"/applications/{in_publicity.pk}/"),
        "detail center": (world.center, f"/applications/{issued.pk}/"),
        "publicity": (None, "/publicity/"),
        "publicity detail": (None, f"/publicity/{in_publicity.pk}/"),
        "verify": (None, "/verify/?q=公司"),
        "verify detail": (None, f"/verify/{number}/"),
    }
    got = {}
    for name, (user, url) in pages.items():
        client = html_client(user) if user else APIClient()
        response = client.get(url)
        html = response.content.decode()
        got[name] = (response.status_code, "<script>alert(1)" in html, EVIL_ESCAPED in html)
    assert got == dict.fromkeys(pages, (200, False, True))
    # JSON carries the name as data, for the client to escape.
    body = APIClient().get(f"/api/v1/public/certificates/{number}/").json()
    assert body["organization_name"] == EVIL


# ---- the create form: one transaction for the draft and its first file


def test_create_form_with_bad_evidence_stores_no_draft(world):
    before = (Application.objects.count(), *stored_state())
    response = html_client(world.applicant).post(
        "/applications/new/",
        {
            "institution": world.inst.pk,
            "kind": "grade",
            "requested_grade": "IETS-3",
            "description": "我们的能力",
            "declares_independent_legal_person": "on",
            "declares_no_violations": "on",
            "file": SimpleUploadedFile("报告.pdf", HTML_PAGE),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 415
    assert "this file&#x27;s content is not one of them." in response.content.decode()
    assert (Application.objects.count(), *stored_state()) == before


def test_create_form_with_oversized_evidence_stores_no_draft(world):
    before = (Application.objects.count(), *stored_state())
    big = SimpleUploadedFile(
        "大.pdf", DEMO_PDF + b"0" * (settings.EVIDENCE_MAX_BYTES + 1 - len(DEMO_PDF))
    )
    response = html_client(world.applicant).post(
        "/applications/new/",
        {"institution": world.inst.pk, "kind": "grade", "requested_grade": "IETS-3", "file": big},
    )
    assert response.status_code == 413
    assert "文件大小超过 10 MB。" in response.content.decode()
    assert (Application.objects.count(), *stored_state()) == before


def test_create_form_with_good_evidence_stores_draft_and_file(world):
    response = html_client(world.applicant).post(
        "/applications/new/",
        {
            "institution": world.inst.pk,
            "kind": "grade",
            "requested_grade": "IETS-3",
            "file": SimpleUploadedFile("营业执照.pdf", DEMO_PDF),
        },
    )
    app = Application.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/applications/{app.pk}/")
    assert [e.original_name for e in app.evidence.all()] == ["营业执照.pdf"]


# ---- USCC


def test_validate_uscc_rejects_a_wrong_check_digit():
    good = make_uscc()
    validate_uscc(good)  # a correct code passes
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as refused:
        validate_uscc(wrong)
    assert refused.value.code == "invalid_uscc"


@pytest.mark.django_db
def test_organization_full_clean_refuses_an_invalid_uscc():
    good = make_uscc()
    org = Organization(
        name="校验公司",
        uscc=good[:-1] + ("0" if good[-1] != "0" else "1"),
        org_type="enterprise",
        region="11",
    )
    with pytest.raises(ValidationError) as refused:
        org.full_clean()
    assert list(refused.value.message_dict) == ["uscc"]
    org.uscc = good
    org.full_clean()
