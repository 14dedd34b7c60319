"""Every supervision page: renders in both languages, no inline script or style, CSRF on
every form, well-formed enough for the HTML parser; the upload refusals store nothing."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from supervision import record_audits, services
from supervision.models import Case, CaseEvidence

from ..conftest import T0, pdf_upload
from ..test_pages import inline_code


class Ids(HTMLParser):
    """Duplicate ids and labels pointing nowhere break assistive technology."""

    def __init__(self):
        super().__init__()
        self.ids, self.fors = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.fors.append(attrs["for"])


@pytest.fixture
def pages(world, flow):
    issued = flow.to(flow.draft(), S.ISSUED, now=T0)
    case, _ = services.case_file(
        actor=world.applicant,
        kind="complaint",
        subject_kind="application",
        reference=issued.number,
        summary="投诉",
        details="细节",
        evidence=[pdf_upload()],
        now=T0,
    )
    later = T0 + timedelta(days=20)
    services.case_start(case_id=case.pk, actor=world.center, now=T0)
    audit = record_audits.record_audit_open(
        actor=world.center,
        institution_id=world.inst.pk,
        period_start=T0.date(),
        period_end=later.date(),
        now=later,
    )
    return {
        "report": (None, "/supervision/report/"),
        "receipt": (None, "/supervision/receipt/"),
        "case list center": (world.center, "/supervision/cases/"),
        "case list applicant": (world.applicant, "/supervision/cases/"),
        "case new": (world.applicant, "/supervision/cases/new/"),
        "case center": (world.center, f"/supervision/cases/{case.pk}/"),
        "case applicant": (world.applicant, f"/supervision/cases/{case.pk}/"),
        "dashboard center": (world.center, "/supervision/dashboard/"),
        "dashboard institution": (world.inst_admin, "/supervision/dashboard/"),
        "list applications": (world.center, "/supervision/lists/applications/"),
        "list certificates": (world.inst_admin, "/supervision/lists/certificates/"),
        "list cases": (world.center, "/supervision/lists/cases/?state=open"),
        "audits": (world.center, "/supervision/audits/"),
        "audit": (world.center, f"/supervision/audits/{audit.pk}/"),
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_supervision_pages_render_clean(pages, language):
    got = {}
    for name, (user, url) in pages.items():
        client = APIClient()
        if user is not None:
            client.force_login(user)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        html = response.content.decode()
        ids = Ids()
        ids.feed(html)
        got[name] = (
            response.status_code,
            inline_code(html),
            html.count('method="post"') == html.count('name="csrfmiddlewaretoken"'),
            sorted({i for i in ids.ids if ids.ids.count(i) > 1}),
            sorted(set(ids.fors) - set(ids.ids)),
        )
    assert got == dict.fromkeys(pages, (200, [], True, [], []))


def test_report_page_refuses_a_disguised_file_and_stores_nothing(world, flow, settings):
    certificate = flow.to(flow.draft(), S.ISSUED, now=T0).certificate
    fake = SimpleUploadedFile("证据.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = APIClient().post(
        "/supervision/report/",
        {
            "subject_kind": "certificate",
            "reference": certificate.number,
            "summary": "s",
            "details": "d",
            "evidence": fake,
        },
    )
    assert response.status_code == 415
    assert Case.objects.count() == CaseEvidence.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "cases").exists()


def test_api_case_list_query_count_is_constant(world, flow):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    app = flow.to(flow.draft(), S.SUBMITTED, now=T0)
    token, _ = Token.objects.get_or_create(user=world.center)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    def file():
        services.case_file(
            actor=world.applicant,
            kind="complaint",
            subject_kind="application",
            reference=app.number,
            summary="s",
            details="d",
            now=T0,
        )

    file()
    client.get("/api/v1/cases/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/cases/").data["count"] == 1
    for _ in range(4):
        file()
    with CaptureQueriesContext(connection) as five:
        assert client.get("/api/v1/cases/").data["count"] == 5
    assert len(five) == len(one)
