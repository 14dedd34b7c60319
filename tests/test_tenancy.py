"""A 404 for another tenant's user on every page and endpoint (DESIGN.md "Tenancy").

`ROUTES` names every URL pattern of `ietsportal.urls` and what each kind of user gets there.
`test_routes_every_url_pattern_has_an_expectation` walks the resolver, so a new route fails the
suite until it is added here. For a route about an object (an application, its evidence or
objections, a certificate), every person in the object's scope gets the documented code and every
person of another tenant gets 404 — never a 403 that would say the object exists.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from certificates import services as cert_services
from certificates.models import AnnualReview, Certificate
from ietsportal.demo import DEMO_PDF
from rubrics.models import Rubric

from .conftest import T0
from .factories import UserFactory

# People who may see the application in publicity (`scene.app`), by the name used below.
IN_SCOPE = ("applicant", "inst_admin", "lead_assessor", "assessor", "panel_expert", "center")
# People of another tenant, or of the same tenant without a part in this application.
OUTSIDERS = (
    "other_applicant",
    "assoc_applicant",
    "other_admin",
    "local_admin",
    "other_assessor",
    "unassigned_assessor",
    "expert_off_panel",
)
EVERYONE = IN_SCOPE + OUTSIDERS
APPLICANTS = ("applicant", "other_applicant", "assoc_applicant")
# Who may see the issued certificate's own page: its holder, its institution, the center.
CERT_SCOPE = ("applicant", "inst_admin", "center")


@dataclass(frozen=True)
class Call:
    """One request and the expected status per user; a user not in `codes` must get 404."""

    method: str
    url: object  # scene -> str
    data: dict | None = None
    codes: dict = field(default_factory=dict)
    # lists: scene -> text that the users in `seen_by` find in the answer and nobody else does
    marker: object = None
    seen_by: tuple = IN_SCOPE


@dataclass(frozen=True)
class Route:
    kind: str  # "public", "private" (needs login, no object), "object" (about one object)
    api: bool
    calls: tuple[Call, ...]
    anonymous: int | None = None  # public routes: what anyone gets without logging in


def every(code, roles=EVERYONE):
    return dict.fromkeys(roles, code)


def app_url(path):
    return lambda sc: path.format(
        app=sc.app.pk,
        ev=sc.evidence.pk,
        obj=sc.objection.pk,
        cert=sc.certificate.number,
        issued=sc.issued.pk,
        d0=sc.decisions[0].pk,
        d1=sc.decisions[1].pk,
        review=sc.review.pk,
        req=sc.request.pk,
    )


ROUTES: dict[str, Route] = {
    # ---- public pages and endpoints
    "home": Route("public", False, (Call("get", "/"),), anonymous=200),
    "health": Route("public", False, (Call("get", "/healthz/"),), anonymous=200),
    "/robots.txt": Route("public", False, (Call("get", "/robots.txt"),), anonymous=200),
    "/favicon.ico": Route("public", False, (Call("get", "/favicon.ico"),), anonymous=301),
    "set_language": Route(
        "public",
        False,
        (Call("post", "/i18n/setlang/", {"language": "en", "next": "/"}),),
        anonymous=302,
    ),
    "login": Route("public", False, (Call("get", "/accounts/login/"),), anonymous=200),
    "logout": Route("public", False, (Call("post", "/accounts/logout/"),), anonymous=302),
    "register": Route("public", False, (Call("get", "/accounts/register/"),), anonymous=200),
    "password_reset": Route(
        "public", False, (Call("get", "/accounts/password-reset/"),), anonymous=200
    ),
    "password_reset_done": Route(
        "public", False, (Call("get", "/accounts/password-reset/sent/"),), anonymous=200
    ),
    # An invalid link: the page says so (and offers a new one).
    "password_reset_confirm": Route(
        "public", False, (Call("get", "/accounts/reset/MQ/bad-token/"),), anonymous=200
    ),
    "password_reset_complete": Route(
        "public", False, (Call("get", "/accounts/reset/done/"),), anonymous=200
    ),
    "publicity": Route("public", False, (Call("get", "/publicity/"),), anonymous=200),
    "publicity-detail": Route(
        "public", False, (Call("get", app_url("/publicity/{app}/")),), anonymous=200
    ),
    "verify": Route("public", False, (Call("get", "/verify/?q=北京甲"),), anonymous=200),
    "verify-detail": Route(
        "public", False, (Call("get", app_url("/verify/{cert}/")),), anonymous=200
    ),
    "rubrics": Route("public", False, (Call("get", "/rubrics/"),), anonymous=200),
    "rubric-detail": Route(
        "public", False, (Call("get", lambda sc: f"/rubrics/{sc.rubric.pk}/"),), anonymous=200
    ),
    # ---- the center's rubric editing (M§3): to everyone else these pages do not exist
    "rubrics:manage-list": Route(
        "private", False, (Call("get", "/center/rubrics/", codes={"center": 200}),)
    ),
    "rubrics:edit": Route(
        "private",
        False,
        (
            Call("get", lambda sc: f"/center/rubrics/{sc.rubric.pk}/", codes={"center": 200}),
            # A published version cannot change: 409 even for the center.
            Call(
                "post",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/",
                {"title": "改"},
                codes={"center": 409},
            ),
        ),
    ),
    "rubrics:criterion-create": Route(
        "private",
        False,
        (
            Call(
                "post",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/criteria/new/",
                {},
                codes={"center": 400},
            ),
        ),
    ),
    "rubrics:criterion-edit": Route(
        "private",
        False,
        (
            Call(
                "get",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/criteria/{sc.criterion.pk}/",
                codes={"center": 200},
            ),
        ),
    ),
    "rubrics:criterion-delete": Route(
        "private",
        False,
        (
            Call(
                "post",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/criteria/{sc.criterion.pk}/delete/",
                {},
                codes={"center": 409},
            ),
        ),
    ),
    "rubrics:thresholds": Route(
        "private",
        False,
        (
            Call(
                "post",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/thresholds/",
                {},
                codes={"center": 409},
            ),
        ),
    ),
    "rubrics:publish": Route(
        "private",
        False,
        (
            Call(
                "post",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/publish/",
                {},
                codes={"center": 409},
            ),
        ),
    ),
    "rubrics:discard": Route(
        "private",
        False,
        (
            Call(
                "post",
                lambda sc: f"/center/rubrics/{sc.rubric.pk}/discard/",
                {},
                codes={"center": 409},
            ),
        ),
    ),
    "rubrics:draft-create": Route(
        "private",
        False,
        (Call("post", "/center/rubrics/new/", {"kind": "nonsense"}, codes={"center": 400}),),
    ),
    "api:public-rubric-list": Route(
        "public", True, (Call("get", "/api/v1/public/rubrics/"),), anonymous=200
    ),
    "api:public-rubric-detail": Route(
        "public",
        True,
        (Call("get", lambda sc: f"/api/v1/public/rubrics/{sc.rubric.pk}/"),),
        anonymous=200,
    ),
    "api:token": Route("public", True, (Call("post", "/api/v1/auth/token/", {}),), anonymous=400),
    "api:register": Route(
        "public", True, (Call("post", "/api/v1/auth/register/", {}),), anonymous=400
    ),
    "api:schema": Route("public", True, (Call("get", "/api/v1/schema/"),), anonymous=200),
    "api:docs": Route("public", True, (Call("get", "/api/v1/docs/"),), anonymous=200),
    "api:institution-list": Route(
        "public", True, (Call("get", "/api/v1/institutions/"),), anonymous=200
    ),
    "api:institution-detail": Route(
        "public",
        True,
        (Call("get", lambda sc: f"/api/v1/institutions/{sc.w.inst.pk}/"),),
        anonymous=200,
    ),
    "api:public-certificate-list": Route(
        "public",
        True,
        (Call("get", app_url("/api/v1/public/certificates/?q={cert}")),),
        anonymous=200,
    ),
    "api:public-certificate-detail": Route(
        "public",
        True,
        (Call("get", app_url("/api/v1/public/certificates/{cert}/")),),
        anonymous=200,
    ),
    "api:public-certificate-verify": Route(
        "public",
        True,
        (Call("get", app_url("/api/v1/public/certificates/{cert}/verify/?t=x.y.z")),),
        anonymous=200,
    ),
    "api:public-certificate-credential": Route(
        "public",
        True,
        (Call("get", app_url("/api/v1/public/certificates/{cert}/credential/")),),
        anonymous=200,
    ),
    "api:status-list": Route(
        "public", True, (Call("get", "/api/v1/public/status/revocation/"),), anonymous=200
    ),
    "api:public-keys": Route("public", True, (Call("get", "/api/v1/public/keys/"),), anonymous=200),
    "api:publicity-list": Route(
        "public", True, (Call("get", "/api/v1/public/publicity/"),), anonymous=200
    ),
    "api:publicity-detail": Route(
        "public", True, (Call("get", app_url("/api/v1/public/publicity/{app}/")),), anonymous=200
    ),
    "api:publicity-objections": Route(
        "public",
        True,
        (Call("post", app_url("/api/v1/public/publicity/{app}/objections/"), {}),),
        anonymous=400,
    ),
    # ---- private, not about one object: lists show only the user's own
    "workspace": Route(
        "private",
        False,
        (Call("get", "/workspace/", codes=every(200), marker=lambda sc: f">{sc.app.number}<"),),
    ),
    "notifications": Route("private", False, (Call("get", "/notifications/", codes=every(200)),)),
    "two-factor-setup": Route(
        "private", False, (Call("get", "/accounts/two-factor/", codes=every(200)),)
    ),
    "two-factor-verify": Route(
        "private", False, (Call("get", "/accounts/two-factor/verify/", codes=every(200)),)
    ),
    "applications:application-create": Route(
        "private", False, (Call("get", "/applications/new/", codes=every(200, APPLICANTS)),)
    ),
    "api:api-root": Route("private", True, (Call("get", "/api/v1/", codes=every(200)),)),
    "api:application-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/applications/",
                codes=every(200),
                marker=lambda sc: f'"number":"{sc.app.number}"',
            ),
        ),
    ),
    "api:certificate-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/certificates/",
                codes=every(200),
                marker=lambda sc: f'"number":"{sc.certificate.number}"',
                seen_by=("applicant", "inst_admin", "center"),
            ),
        ),
    ),
    # ---- about one application, its evidence and objections
    "applications:application-detail": Route(
        "object", False, (Call("get", app_url("/applications/{app}/"), codes=every(200, IN_SCOPE)),)
    ),
    "applications:application-transition": Route(
        "object",
        False,
        (
            # Inside the scope: 409 for the applicant (wrong state), 403 for the others.
            Call(
                "post",
                app_url("/applications/{app}/transitions/submit/"),
                {},
                codes={**every(403, IN_SCOPE), "applicant": 409},
            ),
        ),
    ),
    "applications:evidence-upload": Route(
        "object",
        False,
        (Call("post", app_url("/applications/{app}/evidence/"), {}, codes=every(400, IN_SCOPE)),),
    ),
    "applications:evidence-download": Route(
        "object",
        False,
        (Call("get", app_url("/applications/{app}/evidence/{ev}/"), codes=every(200, IN_SCOPE)),),
    ),
    "applications:expert-opinion": Route(
        "object",
        False,
        (Call("post", app_url("/applications/{app}/opinion/"), {}, codes=every(400, IN_SCOPE)),),
    ),
    "applications:report-pdf": Route(
        "object",
        False,
        (Call("get", app_url("/applications/{app}/report.pdf"), codes=every(200, IN_SCOPE)),),
    ),
    "applications:expert-declaration": Route(
        "object",
        False,
        (
            Call(
                "post",
                app_url("/applications/{app}/declaration/"),
                {},
                codes=every(400, IN_SCOPE),
            ),
        ),
    ),
    "applications:objection-dismiss": Route(
        "object",
        False,
        (
            # Only center staff decide objections; to everyone else they do not exist.
            Call(
                "post",
                app_url("/applications/{app}/objections/{obj}/dismiss/"),
                {},
                codes={"center": 400},
            ),
        ),
    ),
    "api:application-detail": Route(
        "object",
        True,
        (
            Call("get", app_url("/api/v1/applications/{app}/"), codes=every(200, IN_SCOPE)),
            Call(
                "patch",
                app_url("/api/v1/applications/{app}/"),
                {"description": "改"},
                codes={**every(403, IN_SCOPE), "applicant": 409},
            ),
        ),
    ),
    "api:application-transitions": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/applications/{app}/transitions/submit/"),
                {},
                codes={**every(403, IN_SCOPE), "applicant": 409},
            ),
        ),
    ),
    "api:application-evidence": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/applications/{app}/evidence/"),
                {},
                codes=every(400, IN_SCOPE),
            ),
        ),
    ),
    "api:application-expert-opinion": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/applications/{app}/expert-opinion/"),
                {},
                codes=every(400, IN_SCOPE),
            ),
        ),
    ),
    "api:application-expert-declaration": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/applications/{app}/expert-declaration/"),
                {},
                codes=every(400, IN_SCOPE),
            ),
        ),
    ),
    "api:certificate-detail": Route(
        "object",
        True,
        (
            # The holder, the issuing institution and the center; nobody else.
            Call(
                "get",
                app_url("/api/v1/certificates/{cert}/"),
                codes=every(200, ("applicant", "inst_admin", "center")),
            ),
        ),
    ),
    "certificate-pdf": Route(
        "object",
        False,
        (
            # The holder, the issuing institution and the center; nobody else.
            Call(
                "get",
                app_url("/certificates/{cert}/pdf/"),
                codes=every(200, ("applicant", "inst_admin", "center")),
            ),
        ),
    ),
    "certificate-detail": Route(
        "object",
        False,
        (Call("get", app_url("/certificates/{cert}/"), codes=every(200, CERT_SCOPE)),),
    ),
    "certificate-action": Route(
        "object",
        False,
        # An empty form: 400 inside the scope, whoever may act.
        (
            Call("post", app_url("/certificates/{cert}/decide/"), {}, codes=every(400, CERT_SCOPE)),
            Call(
                "post",
                app_url("/certificates/{cert}/request-file/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "certificate-object-action": Route(
        "object",
        False,
        (
            # Only the issuing institution relays; for the holder and the center it is 404.
            Call(
                "post", app_url("/certificates/{cert}/relay/{d0}/"), {}, codes={"inst_admin": 302}
            ),
            Call(
                "post",
                app_url("/certificates/{cert}/review-submit/{review}/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
            Call(
                "post",
                app_url("/certificates/{cert}/review-decide/{review}/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
            Call(
                "post",
                app_url("/certificates/{cert}/request-verify/{req}/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
            Call(
                "post",
                app_url("/certificates/{cert}/request-decide/{req}/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-decisions": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/decisions/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-relay": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/decisions/{d1}/relay/"),
                {},
                codes={"inst_admin": 200},
            ),
        ),
    ),
    "api:certificate-reconsider": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/decisions/{d0}/reconsideration/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-reconsideration-forward": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/reconsiderations/999999/forward/"),
                {},
            ),
        ),
    ),
    "api:certificate-reconsideration-decide": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/reconsiderations/999999/decide/"),
                {},
            ),
        ),
    ),
    "api:certificate-review-submit": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/annual-reviews/{review}/submit/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-review-decide": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/annual-reviews/{review}/decide/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-request-file": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/requests/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-request-verify": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/requests/{req}/verify/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
    "api:certificate-request-decide": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/certificates/{cert}/requests/{req}/decide/"),
                {},
                codes=every(400, CERT_SCOPE),
            ),
        ),
    ),
}
ADMIN_NAMESPACE = "admin"  # Django's admin: staff only, checked by test_admin_*


def walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            yield from walk(
                p.url_patterns,
                prefix + str(p.pattern),
                f"{namespace}:{ns}".strip(":") if ns else namespace,
            )
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}".strip(":") if p.name else ""
            yield name or "/" + prefix + str(p.pattern), prefix + str(p.pattern)


def route_keys() -> set[str]:
    return {
        key
        for key, pattern in walk(get_resolver().url_patterns)
        if not key.startswith(ADMIN_NAMESPACE + ":") and not pattern.startswith("admin/")
    }


def test_routes_every_url_pattern_has_an_expectation():
    keys = route_keys()
    assert sorted(keys - set(ROUTES)) == [], "add the new routes to ROUTES in test_tenancy.py"
    assert sorted(set(ROUTES) - keys) == [], "ROUTES names routes that no longer exist"


def test_routes_outsiders_are_never_granted_an_object():
    for name, route in ROUTES.items():
        for call in route.calls:
            assert not set(call.codes) & set(OUTSIDERS) or route.kind != "object", name


# ---- the scene: one application in publicity with evidence and an open objection, one issued


@pytest.fixture
def scene(world, flow):
    cache.clear()  # the public endpoints are throttled per address
    w = world
    issued = flow.to(flow.draft(), S.ISSUED, now=T0)
    app = flow.to(flow.draft(now=T0 + timedelta(days=10)), S.PUBLICITY, now=T0 + timedelta(days=10))
    objection = services.objection_file(
        application_id=app.pk,
        name="张三",
        contact="13800000000",
        reason="材料不实。",
        now=app.publicity_starts_at + timedelta(hours=1),
    )
    users = {
        "applicant": w.applicant,
        "inst_admin": w.inst_admin,
        "lead_assessor": w.assessors[0],
        "assessor": w.assessors[1],
        "panel_expert": w.experts[0],
        "center": w.center,
        "other_applicant": w.other_applicant,
        "assoc_applicant": w.assoc_applicant,
        "other_admin": w.other_admin,
        "local_admin": w.local_admin,
        "other_assessor": w.other_assessors[0],
        "unassigned_assessor": w.assessors[2],
        "expert_off_panel": UserFactory(expert=True, username="expert4"),
    }
    assert set(users) == set(EVERYONE)
    assert {u.pk for u in app.assessors.all()} == {w.assessors[0].pk, w.assessors[1].pk}
    certificate = Certificate.objects.get(application=issued)
    later = T0 + timedelta(days=20)
    cert_services.certificate_suspend(
        number=certificate.number, actor=w.center, reason="暂停。", now=later
    )
    cert_services.certificate_reinstate(
        number=certificate.number, actor=w.center, reason="恢复。", now=later
    )
    decisions = list(certificate.decisions.order_by("pk"))
    review = AnnualReview.objects.create(
        certificate=certificate, year=1, due_on=later.date(), deadline=later.date()
    )
    request = cert_services.certificate_request_file(
        number=certificate.number,
        actor=w.applicant,
        kind="reissue",
        details="证书遗失。",
        now=later,
    )
    return SimpleNamespace(
        w=w,
        app=app,
        issued=issued,
        evidence=app.evidence.get(),
        objection=objection,
        users=users,
        certificate=certificate,
        decisions=decisions,
        review=review,
        request=request,
        rubric=Rubric.objects.current("grade"),
        criterion=Rubric.objects.current("grade").criteria.first(),
    )


def client_for(user, api: bool) -> APIClient:
    client = APIClient()
    if user is not None:
        if api:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        else:
            client.force_login(user)
    return client


def send(client, call: Call, url: str, api: bool):
    method = getattr(client, call.method)
    if call.method == "get":
        response = method(url)
    elif api:
        fmt = "multipart" if url.endswith("/evidence/") else "json"
        response = method(url, call.data or {}, format=fmt)
    else:
        response = method(url, call.data or {})
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # read to the end, which closes the file
    return response


def by_kind(*kinds):
    return [(name, route) for name, route in ROUTES.items() if route.kind in kinds]


def url_of(call, scene):
    return call.url(scene) if callable(call.url) else call.url


def test_public_routes_answer_anyone_the_same(scene):
    got, want = {}, {}
    for name, route in by_kind("public"):
        for call in route.calls:
            for who in (None, "other_admin"):
                response = send(
                    client_for(scene.users.get(who), route.api),
                    call,
                    url_of(call, scene),
                    route.api,
                )
                got[name, call.method, who] = response.status_code
                want[name, call.method, who] = route.anonymous
    assert got == want


def test_private_routes_send_anonymous_to_login(scene):
    got, want = {}, {}
    for name, route in by_kind("private", "object"):
        for call in route.calls:
            url = url_of(call, scene)
            response = send(APIClient(), call, url, route.api)
            if route.api:
                got[name, call.method] = response.status_code
                want[name, call.method] = 401
            else:
                got[name, call.method] = (response.status_code, response.get("Location"))
                want[name, call.method] = (302, "/accounts/login/?next=" + quote(url, safe="/"))
    assert got == want


def test_private_routes_answer_404_outside_the_scope(scene):
    got, want = {}, {}
    clients = {
        (who, api): client_for(user, api)
        for who, user in scene.users.items()
        for api in (False, True)
    }
    for name, route in by_kind("private", "object"):
        for call in route.calls:
            url = url_of(call, scene)
            for who in scene.users:
                key = (name, call.method, who)
                response = send(clients[who, route.api], call, url, route.api)
                got[key], want[key] = response.status_code, call.codes.get(who, 404)
                if call.marker is not None:
                    got[*key, "sees it"] = call.marker(scene) in response.content.decode()
                    want[*key, "sees it"] = who in call.seen_by
    assert got == want


# ---- finer points of the scope


def test_detail_draft_is_hidden_from_the_institution_until_submitted(world, flow):
    draft = flow.draft()
    got = {}
    for who, user in [
        ("applicant", world.applicant),
        ("inst_admin", world.inst_admin),
        ("assessor", world.assessors[0]),
        ("center", world.center),
    ]:
        got[who, "html"] = client_for(user, False).get(f"/applications/{draft.pk}/").status_code
        got[who, "api"] = (
            client_for(user, True).get(f"/api/v1/applications/{draft.pk}/").status_code
        )
    assert got == {
        ("applicant", "html"): 200,
        ("applicant", "api"): 200,
        ("inst_admin", "html"): 404,
        ("inst_admin", "api"): 404,
        ("assessor", "html"): 404,
        ("assessor", "api"): 404,
        ("center", "html"): 200,
        ("center", "api"): 200,
    }


def test_evidence_download_of_another_application_is_404_even_for_center(scene, flow):
    other = flow.draft(scene.w.other_applicant)
    other_evidence = other.evidence.get()
    client = client_for(scene.w.center, False)
    response = client.get(f"/applications/{scene.app.pk}/evidence/{other_evidence.pk}/")
    assert response.status_code == 404
    response = client.get(f"/applications/{other.pk}/evidence/{other_evidence.pk}/")
    assert (response.status_code, b"".join(response.streaming_content)) == (200, DEMO_PDF)


def test_objection_dismiss_of_another_application_is_404_even_for_center(scene):
    url = f"/applications/{scene.issued.pk}/objections/{scene.objection.pk}/dismiss/"
    response = client_for(scene.w.center, False).post(url, {"reason": "不成立。"})
    assert response.status_code == 404
    scene.objection.refresh_from_db()
    assert scene.objection.state == "open"


def test_publicity_detail_of_an_application_not_in_publicity_is_404(scene, flow):
    draft = flow.draft()
    client = APIClient()
    got = [
        client.get(f"/publicity/{draft.pk}/").status_code,
        client.get(f"/api/v1/public/publicity/{draft.pk}/").status_code,
        client.get(f"/publicity/{scene.issued.pk}/").status_code,
        client.get(f"/api/v1/public/publicity/{scene.issued.pk}/").status_code,
    ]
    assert got == [404, 404, 404, 404]


def test_unknown_objects_are_404_for_center(scene):
    html, api = client_for(scene.w.center, False), client_for(scene.w.center, True)
    got = [
        html.get("/applications/999999/").status_code,
        html.get(f"/applications/{scene.app.pk}/evidence/999999/").status_code,
        api.get("/api/v1/applications/999999/").status_code,
        api.get("/api/v1/certificates/NOPE-1/").status_code,
        APIClient().get("/verify/NOPE-1/").status_code,
        APIClient().get("/api/v1/public/certificates/NOPE-1/").status_code,
    ]
    assert got == [404, 404, 404, 404, 404, 404]


def test_inactive_user_of_the_tenant_sees_nothing(scene):
    applicant = scene.w.applicant
    applicant.is_active = False
    applicant.save(update_fields=["is_active"])
    response = client_for(applicant, True).get(f"/api/v1/applications/{scene.app.pk}/")
    assert response.status_code == 401


def test_admin_is_closed_to_portal_users(scene):
    got = {}
    for who in (None, "applicant", "inst_admin", "center"):
        response = client_for(scene.users.get(who), False).get("/admin/")
        got[who] = (response.status_code, response["Location"].split("?")[0])
    assert got == dict.fromkeys(got, (302, "/admin/login/"))
