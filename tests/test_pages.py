"""The HTML pages: public ones render for anyone in both languages, each role's workspace lists
its own applications, and every page keeps to the Content Security Policy (no inline script,
no inline style)."""

from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S

from .conftest import T0
from .factories import UserFactory

STATES = [
    S.DRAFT,
    S.SUBMITTED,
    S.DOCUMENT_REVIEW,
    S.ONSITE_REVIEW,
    S.REPORTED,
    S.EXPERT_REVIEW,
    S.PUBLICITY,
    S.ISSUED,
]


@pytest.fixture
def scene(world, flow):
    """One application of the applicant in each state of the main line, one of another
    organisation at another institution, and a withdrawn one. The one in publicity is open now,
    so that its page shows the objection form."""
    apps = {}
    for i, state in enumerate(STATES):
        now = (
            timezone.now() - timedelta(hours=1)
            if state == S.PUBLICITY
            else (T0 + timedelta(days=i))
        )
        apps[state] = flow.to(flow.draft(now=now), state, now=now)
    services.objection_file(
        application_id=apps[S.PUBLICITY].pk,
        name="李四",
        contact="13900000000",
        reason="证据不足。",
        now=timezone.now(),
    )
    other = flow.to(
        flow.draft(world.other_applicant, institution=world.other_inst), S.DOCUMENT_REVIEW
    )
    withdrawn = flow.fire(
        flow.draft(now=T0 + timedelta(days=20)),
        "withdraw",
        world.applicant,
        T0 + timedelta(days=20, minutes=1),
    )
    return SimpleNamespace(
        w=world, apps=apps, other=other, withdrawn=withdrawn, certificate=apps[S.ISSUED].certificate
    )


def public_pages(sc):
    return {
        "home": "/",
        "publicity": "/publicity/",
        "publicity detail": f"/publicity/{sc.apps[S.PUBLICITY].pk}/",
        "verify": "/verify/",
        "verify found": "/verify/?q=北京甲",
        "verify not found": "/verify/?q=没有这家公司",
        "verify detail": f"/verify/{sc.certificate.number}/",
        "login": "/accounts/login/",
        "register": "/accounts/register/",
    }


# ---- public pages in both languages


@pytest.mark.parametrize(
    ("accept", "lang", "nav"),
    [
        ("zh-CN,zh;q=0.9", "zh-CN", "证书查询"),
        ("en-US,en;q=0.9", "en", "Verify a certificate"),
    ],
)
def test_public_pages_render_for_anonymous_in_both_languages(scene, accept, lang, nav):
    got = {}
    for name, url in public_pages(scene).items():
        response = APIClient().get(url, HTTP_ACCEPT_LANGUAGE=accept)
        html = response.content.decode()
        got[name] = (response.status_code, f'<html lang="{lang}">' in html, nav in html)
    assert got == dict.fromkeys(got, (200, True, True))


def test_public_pages_default_to_chinese(db):
    response = APIClient().get("/")
    assert (response.status_code, response["Content-Language"]) == (200, "zh-hans")
    assert '<html lang="zh-CN">' in response.content.decode()


def test_set_language_switches_the_pages_to_english(db):
    client = APIClient()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/publicity/"})
    assert (response.status_code, response["Location"]) == (302, "/publicity/")
    response = client.get("/publicity/")
    assert response["Content-Language"] == "en"
    assert "Evaluation results in publicity" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "证书查询" in client.get("/publicity/").content.decode()


def test_set_language_ignores_an_unknown_language_and_foreign_next(db):
    client = APIClient()
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/").headers["Content-Language"] == "zh-hans"


def test_health_returns_ok(db):
    response = APIClient().get("/healthz/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_robots_keeps_crawlers_out_of_private_pages(db):
    response = APIClient().get("/robots.txt")
    assert (response.status_code, response["Content-Type"], response.content) == (
        200,
        "text/plain",
        b"User-agent: *\nDisallow: /api/\nDisallow: /workspace/\n",
    )


# ---- login


def test_login_page_logs_in_and_lands_on_the_workspace(world):
    client = APIClient()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post("/accounts/login/", {"username": "applicant", "password": "pw-123456"})
    assert (response.status_code, response["Location"]) == (302, "/workspace/")
    assert client.get("/workspace/").status_code == 200


def test_login_page_refuses_a_wrong_password_with_a_message(world):
    response = APIClient().post(
        "/accounts/login/",
        {"username": "applicant", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated is False
    assert "Please enter a correct username and password." in response.content.decode()


def test_login_page_follows_next_only_inside_the_site(world):
    client = APIClient()
    response = client.post(
        "/accounts/login/?next=/publicity/",
        {"username": "applicant", "password": "pw-123456", "next": "/publicity/"},
    )
    assert response["Location"] == "/publicity/"
    client = APIClient()
    response = client.post(
        "/accounts/login/",
        {"username": "applicant", "password": "pw-123456", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/workspace/"


def test_logout_returns_home(world):
    client = APIClient()
    client.force_login(world.applicant)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/workspace/").status_code == 302


# ---- the workspace per role


def workspace_numbers(user, query="") -> list[str]:
    client = APIClient()
    client.force_login(user)
    response = client.get("/workspace/" + query)
    assert response.status_code == 200
    return sorted(a.number for a in response.context["applications"])


def test_workspace_lists_the_right_applications_per_role(scene):
    w, apps = scene.w, scene.apps
    mine = sorted([a.number for a in apps.values()] + [scene.withdrawn.number])
    at_inst = sorted([a.number for s, a in apps.items() if s != S.DRAFT] + [scene.withdrawn.number])
    assigned = sorted(a.number for s, a in apps.items() if s not in (S.DRAFT, S.SUBMITTED))
    paneled = sorted(apps[s].number for s in (S.EXPERT_REVIEW, S.PUBLICITY, S.ISSUED))
    got = {
        "applicant": workspace_numbers(w.applicant),
        "other applicant": workspace_numbers(w.other_applicant),
        "association": workspace_numbers(w.assoc_applicant),
        "institution admin": workspace_numbers(w.inst_admin),
        "other institution admin": workspace_numbers(w.other_admin),
        "local institution admin": workspace_numbers(w.local_admin),
        "lead assessor": workspace_numbers(w.assessors[0]),
        "unassigned assessor": workspace_numbers(w.assessors[2]),
        "other institution's assessor": workspace_numbers(w.other_assessors[0]),
        "panel expert": workspace_numbers(w.experts[0]),
        "expert off the panel": workspace_numbers(UserFactory(expert=True, username="expert4")),
        "center": workspace_numbers(w.center),
    }
    assert got == {
        "applicant": mine,
        "other applicant": [scene.other.number],
        "association": [],
        "institution admin": at_inst,
        "other institution admin": [scene.other.number],
        "local institution admin": [],
        "lead assessor": assigned,
        "unassigned assessor": [],
        "other institution's assessor": [scene.other.number],
        "panel expert": paneled,
        "expert off the panel": [],
        "center": sorted([*mine, scene.other.number]),
    }


def test_workspace_filters_by_state(scene):
    w = scene.w
    assert workspace_numbers(w.applicant, "?state=publicity") == [scene.apps[S.PUBLICITY].number]
    assert workspace_numbers(w.inst_admin, "?state=draft") == []
    assert workspace_numbers(w.applicant, "?state=nonsense") == workspace_numbers(w.applicant)


def test_workspace_shows_the_certificates_of_the_holder(scene):
    client = APIClient()
    client.force_login(scene.w.applicant)
    response = client.get("/workspace/")
    assert [c.number for c in response.context["certificates"]] == [scene.certificate.number]
    client.force_login(scene.w.other_applicant)
    assert list(client.get("/workspace/").context["certificates"]) == []


# ---- Content Security Policy: the header, and pages that need no inline code


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements and attributes,
    event-handler attributes and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs.items():
            if name == "style":
                self.found.append(f"style= on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def private_pages(sc):
    w, apps = sc.w, sc.apps
    from rubrics.models import Rubric
    from rubrics.services import rubric_draft_create

    current = Rubric.objects.current("grade")
    draft = Rubric.objects.filter(kind="innovation", state="draft").first() or (
        rubric_draft_create(actor=w.center, kind="innovation", now=T0)
    )
    return {
        "center rubrics": (w.center, "get", "/center/rubrics/"),
        "center rubric published": (w.center, "get", f"/center/rubrics/{current.pk}/"),
        "center rubric draft": (w.center, "get", f"/center/rubrics/{draft.pk}/"),
        "center criterion": (
            w.center,
            "get",
            f"/center/rubrics/{draft.pk}/criteria/{draft.criteria.first().pk}/",
        ),
        "center criterion refused": (w.center, "post", f"/center/rubrics/{draft.pk}/criteria/new/"),
        "evaluation report pdf link": (w.center, "get", f"/applications/{apps[S.REPORTED].pk}/"),
        "applicant workspace": (w.applicant, "get", "/workspace/"),
        "applicant notifications": (w.applicant, "get", "/notifications/"),
        "applicant create": (w.applicant, "get", "/applications/new/"),
        "applicant create refused": (w.applicant, "post", "/applications/new/"),
        "applicant draft": (w.applicant, "get", f"/applications/{apps[S.DRAFT].pk}/"),
        "applicant issued": (w.applicant, "get", f"/applications/{apps[S.ISSUED].pk}/"),
        "applicant submit refused": (
            w.applicant,
            "post",
            f"/applications/{apps[S.PUBLICITY].pk}/transitions/submit/",
        ),
        "institution workspace": (w.inst_admin, "get", "/workspace/"),
        "institution accept form": (w.inst_admin, "get", f"/applications/{apps[S.SUBMITTED].pk}/"),
        "assessor review": (w.assessors[0], "get", f"/applications/{apps[S.DOCUMENT_REVIEW].pk}/"),
        "assessor report form": (
            w.assessors[0],
            "get",
            f"/applications/{apps[S.ONSITE_REVIEW].pk}/",
        ),
        "assessor report refused": (
            w.assessors[0],
            "post",
            f"/applications/{apps[S.ONSITE_REVIEW].pk}/transitions/file_report/",
        ),
        "center expert choice": (w.center, "get", f"/applications/{apps[S.REPORTED].pk}/"),
        "center objections": (w.center, "get", f"/applications/{apps[S.PUBLICITY].pk}/"),
        "center workspace": (w.center, "get", "/workspace/"),
        "expert opinion form": (w.experts[0], "get", f"/applications/{apps[S.EXPERT_REVIEW].pk}/"),
        "expert opinion refused": (
            w.experts[0],
            "post",
            f"/applications/{apps[S.EXPERT_REVIEW].pk}/opinion/",
        ),
        "outsider 404": (w.other_applicant, "get", f"/applications/{apps[S.DRAFT].pk}/"),
    }


REFUSED = {
    "center criterion refused",
    "not found",
    "objection refused",
    "applicant create refused",
    "applicant submit refused",
    "assessor report refused",
    "expert opinion refused",
    "outsider 404",
}


def test_every_page_has_a_strict_csp_and_no_inline_code(scene):
    pages = {name: (None, "get", url) for name, url in public_pages(scene).items()}
    pages["not found"] = (None, "get", "/no-such-page/")
    pages["objection refused"] = (None, "post", f"/publicity/{scene.apps[S.PUBLICITY].pk}/")
    pages.update(private_pages(scene))
    got, want = {}, {}
    for name, (user, method, url) in pages.items():
        client = APIClient()
        if user is not None:
            client.force_login(user)
        response = getattr(client, method)(url, {})
        assert response["Content-Type"] == "text/html; charset=utf-8", name
        csp = csp_directives(response)
        html = response.content.decode()
        got[name] = {
            "status class": response.status_code // 100,
            "script-src": [v for v in csp["script-src"] if not v.startswith("'nonce-")],
            "style-src": csp["style-src"],
            "default-src": csp["default-src"],
            "object-src": csp["object-src"],
            "frame-ancestors": csp["frame-ancestors"],
            "unsafe": [v for vs in csp.values() for v in vs if v.startswith("'unsafe-")],
            "inline code": inline_code(html),
            "forms carry a CSRF token": html.count('method="post"')
            == html.count('name="csrfmiddlewaretoken"'),
        }
        want[name] = {
            "status class": 4 if name in REFUSED else 2,
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "default-src": ["'self'"],
            "object-src": ["'none'"],
            "frame-ancestors": ["'none'"],
            "unsafe": [],
            "inline code": [],
            "forms carry a CSRF token": True,
        }
    assert got == want


def test_security_headers_on_html_pages(db):
    response = APIClient().get("/")
    assert {
        h: response[h] for h in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")
    } == {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }


def test_api_docs_load_their_script_from_the_site(db):
    """The browsable API docs run under the same CSP: no inline script to be blocked."""
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    # drf-spectacular's own small <style> block is left to the CSS file (the CSP blocks it).
    assert [f for f in inline_code(html) if f != "<style> element"] == []
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert '<script src="/api/v1/docs/?script="></script>' in html
    script = APIClient().get("/api/v1/docs/?script=")
    assert (script.status_code, script["Content-Type"]) == (200, "application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_the_language_form_switches_by_get_without_a_csrf_token(db):
    client = APIClient()
    page = client.get("/publicity/").content.decode()
    assert 'action="/i18n/switch/" method="get"' in page
    assert "csrfmiddlewaretoken" not in page  # an anonymous visitor's page is everyone's
    response = client.get("/i18n/switch/", {"language": "en", "next": "/publicity/?page=2"})
    assert (response.status_code, response["Location"]) == (302, "/publicity/?page=2")
    assert "no-cache" in response["Cache-Control"]
    assert client.get("/publicity/")["Content-Language"] == "en"


def test_the_language_switch_ignores_an_unknown_language_and_foreign_next(db):
    client = APIClient()
    response = client.get("/i18n/switch/", {"language": "xx", "next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert "django_language" not in response.cookies
    assert client.get("/").headers["Content-Language"] == "zh-hans"
