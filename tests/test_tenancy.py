"""A 404 for another tenant's user on every page and endpoint (DESIGN.md "Tenancy").

`ROUTES` names every URL pattern of `ietsportal.urls` and what each kind of user gets there.
`test_routes_every_url_pattern_has_an_expectation` walks the resolver, so a new route fails the
suite until it is added here. For a route about an object (an application, its evidence or
objections, a certificate), every person in the object's scope gets the documented code and every
person of another tenant gets 404 — never a 403 that would say the object exists.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import services
from applications.enums import ApplicationState as S
from certificates import services as cert_services
from certificates.models import AnnualReview, Certificate
from ietsportal.demo import DEMO_PDF
from rubrics.models import Rubric
from selection import services as selection_services
from supervision import record_audits
from supervision import services as case_services
from supervision.services_exports import export_job_create, export_job_run

from .conftest import T0, pdf_upload
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
# Institutions (issue #5): the designation filed by the applicant's organisation, with
# `panel_expert` on its panel; the national institution and its nominee.
DESIGNATION_SCOPE = ("applicant", "panel_expert", "center")
INSTITUTION_SCOPE = ("inst_admin", "center")
ADMINS = ("inst_admin", "other_admin", "local_admin")
# Who may see the case the applicant filed: its filer and the center.
CASE_SCOPE = ("applicant", "center")


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
        des=sc.designation.pk,
        desdoc=sc.designation_document.pk,
        sup=sc.supervision_file.action_id,
        supfile=sc.supervision_file.pk,
        inst=sc.w.inst.pk,
        nominee=sc.nominee.pk,
        expert=sc.expert.pk,
        registered=sc.w.assessors[0].assessor_profile.pk,
    )


def sel_url(path):
    """Self-evaluations (the applicant's organisation's) and selections: `sel` is a project of
    the applicant's organisation, `inv` the invitation of that organisation to another's."""
    return lambda sc: path.format(
        run=sc.run.pk,
        gone=sc.withdrawn_run.pk,
        runev=sc.run_evidence.pk,
        sel=sc.selection.pk,
        inv=sc.invitation.pk,
    )


SELF = ("applicant",)


def case_url(path):
    return lambda sc: path.format(
        case=sc.case.pk,
        case_ev=sc.case.evidence.get().pk,
        job=sc.export_job.pk,
        audit=sc.audit.pk,
        finding=sc.finding.pk,
    )


ROUTES: dict[str, Route] = {
    # ---- public pages and endpoints
    "home": Route("public", False, (Call("get", "/"),), anonymous=200),
    "health": Route("public", False, (Call("get", "/healthz/"),), anonymous=200),
    "health-cache": Route("public", False, (Call("get", "/healthz/cache/"),), anonymous=200),
    "/robots.txt": Route("public", False, (Call("get", "/robots.txt"),), anonymous=200),
    "/favicon.ico": Route("public", False, (Call("get", "/favicon.ico"),), anonymous=301),
    "set_language": Route(
        "public",
        False,
        (Call("post", "/i18n/setlang/", {"language": "en", "next": "/"}),),
        anonymous=302,
    ),
    "language-switch": Route(
        "public", False, (Call("get", "/i18n/switch/?language=en&next=/"),), anonymous=302
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
    # The center's notification texts (issue #3): to everyone else these pages do not exist.
    "notification-texts": Route(
        "private", False, (Call("get", "/center/notification-texts/", codes={"center": 200}),)
    ),
    "notification-text": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/center/notification-texts/application.assigned/en/",
                codes={"center": 200},
            ),
            # A text without the default's placeholders: 400 with the message, nothing stored.
            Call(
                "post",
                "/center/notification-texts/application.assigned/en/",
                {"text": "x"},
                codes={"center": 400},
            ),
        ),
    ),
    # Publicity batches (M§14(4)): the scene's entry was published in a batch of its own.
    "publicity-batch": Route(
        "public",
        False,
        (Call("get", lambda sc: f"/publicity/batches/{sc.app.publicity_batch_id}/"),),
        anonymous=200,
    ),
    "publicity-batches-manage": Route(
        "private", False, (Call("get", "/center/publicity-batches/", codes={"center": 200}),)
    ),
    "publicity-batch-manage": Route(
        "private",
        False,
        (
            Call(
                "get",
                lambda sc: f"/center/publicity-batches/{sc.app.publicity_batch_id}/",
                codes={"center": 200},
            ),
        ),
    ),
    # A published batch cannot change: 409 even for the center.
    "publicity-batch-publish": Route(
        "private",
        False,
        (
            Call(
                "post",
                lambda sc: f"/center/publicity-batches/{sc.app.publicity_batch_id}/publish/",
                codes={"center": 409},
            ),
        ),
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
    # The center's rubric editing through the API: to everyone else it does not exist. On a
    # published version every change is a 409 once the input is valid.
    "api:managed-rubric-list": Route(
        "private",
        True,
        (
            Call("get", "/api/v1/manage/rubrics/", codes={"center": 200}),
            Call("post", "/api/v1/manage/rubrics/", {}, codes={"center": 400}),
        ),
    ),
    "api:managed-rubric-detail": Route(
        "private",
        True,
        (
            Call(
                "get", lambda sc: f"/api/v1/manage/rubrics/{sc.rubric.pk}/", codes={"center": 200}
            ),
            Call(
                "patch",
                lambda sc: f"/api/v1/manage/rubrics/{sc.rubric.pk}/",
                {"title": "改"},
                codes={"center": 409},
            ),
            Call(
                "delete",
                lambda sc: f"/api/v1/manage/rubrics/{sc.rubric.pk}/",
                codes={"center": 409},
            ),
        ),
    ),
    "api:managed-rubric-publish": Route(
        "private",
        True,
        (
            Call(
                "post",
                lambda sc: f"/api/v1/manage/rubrics/{sc.rubric.pk}/publish/",
                {},
                codes={"center": 409},
            ),
        ),
    ),
    "api:managed-rubric-thresholds": Route(
        "private",
        True,
        (
            Call(
                "put",
                lambda sc: f"/api/v1/manage/rubrics/{sc.rubric.pk}/thresholds/",
                {"thresholds": {}},
                codes={"center": 409},
            ),
        ),
    ),
    "api:managed-rubric-criteria": Route(
        "private",
        True,
        (
            Call(
                "post",
                lambda sc: f"/api/v1/manage/rubrics/{sc.rubric.pk}/criteria/",
                {},
                codes={"center": 400},
            ),
        ),
    ),
    "api:managed-rubric-criterion": Route(
        "private",
        True,
        (
            Call(
                "patch",
                lambda sc: (
                    f"/api/v1/manage/rubrics/{sc.rubric.pk}/criteria/"
                    f"{sc.rubric.criteria.order_by('pk').first().pk}/"
                ),
                {},
                codes={"center": 400},
            ),
            Call(
                "delete",
                lambda sc: (
                    f"/api/v1/manage/rubrics/{sc.rubric.pk}/criteria/"
                    f"{sc.rubric.criteria.order_by('pk').first().pk}/"
                ),
                codes={"center": 409},
            ),
        ),
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
    "institutions:institution-directory": Route(
        "public", False, (Call("get", "/institutions/?q=全国"),), anonymous=200
    ),
    "institutions:institution-csv": Route(
        "public", False, (Call("get", "/institutions/open-data.csv"),), anonymous=200
    ),
    "institutions:institution-public": Route(
        "public", False, (Call("get", app_url("/institutions/{inst}/")),), anonymous=200
    ),
    "institutions:assessor-directory": Route(
        "public", False, (Call("get", "/assessors/?q=PJ"),), anonymous=200
    ),
    "institutions:assessor-csv": Route(
        "public", False, (Call("get", "/assessors/open-data.csv"),), anonymous=200
    ),
    "api:public-assessor-list": Route(
        "public", True, (Call("get", "/api/v1/public/assessors/"),), anonymous=200
    ),
    "api:public-assessor-detail": Route(
        "public",
        True,
        (Call("get", app_url("/api/v1/public/assessors/{registered}/")),),
        anonymous=200,
    ),
    "api:publicity-list": Route(
        "public", True, (Call("get", "/api/v1/public/publicity/"),), anonymous=200
    ),
    "api:publicity-detail": Route(
        "public", True, (Call("get", app_url("/api/v1/public/publicity/{app}/")),), anonymous=200
    ),
    "api:public-publicity-batch-list": Route(
        "public", True, (Call("get", "/api/v1/public/publicity-batches/"),), anonymous=200
    ),
    "api:public-publicity-batch-detail": Route(
        "public",
        True,
        (Call("get", lambda sc: f"/api/v1/public/publicity-batches/{sc.app.publicity_batch_id}/"),),
        anonymous=200,
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
    "institutions:designation-list": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/institutions/designations/",
                codes=every(200),
                marker=lambda sc: ">候选评价机构<",
                seen_by=DESIGNATION_SCOPE,
            ),
        ),
    ),
    "institutions:designation-create": Route(
        "private",
        False,
        (Call("get", "/institutions/designations/new/", codes=every(200, APPLICANTS)),),
    ),
    "institutions:participation": Route(
        "private",
        False,
        (Call("get", "/institutions/participation/", codes=every(200, ("center", *ADMINS))),),
    ),
    "institutions:assessor-nominate": Route(
        "private",
        False,
        (Call("get", "/institutions/assessors/nominate/", codes=every(200, ADMINS)),),
    ),
    "institutions:expert-list": Route(
        "private", False, (Call("get", "/institutions/experts/", codes={"center": 200}),)
    ),
    "institutions:expert-create": Route(
        "private", False, (Call("get", "/institutions/experts/new/", codes={"center": 200}),)
    ),
    "api:designation-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/designations/",
                codes=every(200),
                marker=lambda sc: "候选评价机构",
                seen_by=DESIGNATION_SCOPE,
            ),
            Call("post", "/api/v1/designations/", {}, codes=every(400)),
        ),
    ),
    "api:managed-institution-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/manage/institutions/",
                codes=every(200),
                marker=lambda sc: '"name":"全国评价机构甲"',
                seen_by=INSTITUTION_SCOPE,
            ),
        ),
    ),
    "api:assessor-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/assessors/",
                codes=every(200),
                marker=lambda sc: '"full_name":"候选评价师"',
                seen_by=INSTITUTION_SCOPE,
            ),
            Call("post", "/api/v1/assessors/", {}, codes=every(400)),
        ),
    ),
    "api:expert-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/experts/",
                codes=every(200),
                marker=lambda sc: '"username":"expert1"',
                seen_by=("center",),
            ),
            # The pool is the center's: everyone else finds nothing here.
            Call("post", "/api/v1/experts/", {}, codes={"center": 400}),
        ),
    ),
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
            # Creating without data: the validation message, whoever asks (nothing is created).
            Call("post", "/api/v1/applications/", {}, codes=every(400)),
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
    "selection:self-evaluation-list": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/self-evaluations/",
                codes=every(200, APPLICANTS),
                marker=lambda sc: sc.run.title,
                seen_by=SELF,
            ),
        ),
    ),
    "selection:selection-list": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/selections/",
                codes=every(200, APPLICANTS),
                marker=lambda sc: sc.selection.title,
                seen_by=SELF,
            ),
        ),
    ),
    "api:self-evaluation-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/self-evaluations/",
                codes=every(200),
                marker=lambda sc: f'"title":"{sc.run.title}"',
                seen_by=SELF,
            ),
            # Creating without data: the validation message, whoever asks (nothing is created).
            Call("post", "/api/v1/self-evaluations/", {}, codes=every(400)),
        ),
    ),
    "api:selection-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/selections/",
                codes=every(200),
                marker=lambda sc: f'"title":"{sc.selection.title}"',
                seen_by=SELF,
            ),
            # Creating without data: the validation message, whoever asks (nothing is created).
            # Only an organisation's users buy; the others are told so.
            Call(
                "post",
                "/api/v1/selections/",
                {},
                codes=every(403) | every(400, APPLICANTS),
            ),
        ),
    ),
    # The candidate's side: the buyer (other_applicant) does not see its invitation here.
    "api:selection-invitation-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/selection-invitations/",
                codes=every(200),
                marker=lambda sc: f'"project":"{sc.invitation.project.title}"',
                seen_by=SELF,
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
    # ---- self-evaluations and selections (M§5): the organisation's own, nobody else's
    "selection:self-evaluation-detail": Route(
        "object", False, (Call("get", sel_url("/self-evaluations/{run}/"), codes=every(200, SELF)),)
    ),
    "selection:self-evaluation-evidence": Route(
        "object",
        False,
        (
            Call(
                "get", sel_url("/self-evaluations/{run}/evidence/{runev}/"), codes=every(200, SELF)
            ),
        ),
    ),
    "selection:self-evaluation-action": Route(
        "object",
        False,
        (
            # Not every criterion is scored: 400.
            Call("post", sel_url("/self-evaluations/{run}/complete/"), {}, codes=every(400, SELF)),
        ),
    ),
    "selection:selection-detail": Route(
        "object", False, (Call("get", sel_url("/selections/{sel}/"), codes=every(200, SELF)),)
    ),
    "selection:selection-export": Route(
        "object",
        False,
        (
            Call("get", sel_url("/selections/{sel}/export.csv"), codes=every(200, SELF)),
            Call("get", sel_url("/selections/{sel}/export.pdf"), codes=every(200, SELF)),
        ),
    ),
    "selection:selection-action": Route(
        "object",
        False,
        (Call("post", sel_url("/selections/{sel}/invite/"), {}, codes=every(400, SELF)),),
    ),
    "selection:invitation-detail": Route(
        "object",
        False,
        (Call("get", sel_url("/selections/invitations/{inv}/"), codes=every(200, SELF)),),
    ),
    "api:self-evaluation-detail": Route(
        "object",
        True,
        (
            Call("get", sel_url("/api/v1/self-evaluations/{run}/"), codes=every(200, SELF)),
            Call("patch", sel_url("/api/v1/self-evaluations/{run}/"), {}, codes=every(200, SELF)),
        ),
    ),
    "api:self-evaluation-evidence": Route(
        "object",
        True,
        (
            Call(
                "post",
                sel_url("/api/v1/self-evaluations/{run}/evidence/"),
                {},
                codes=every(400, SELF),
            ),
        ),
    ),
    "api:self-evaluation-complete": Route(
        "object",
        True,
        (
            Call(
                "post",
                sel_url("/api/v1/self-evaluations/{run}/complete/"),
                {},
                codes=every(400, SELF),
            ),
        ),
    ),
    "api:self-evaluation-withdraw": Route(
        "object",
        True,
        (
            # Already withdrawn: 409.
            Call(
                "post",
                sel_url("/api/v1/self-evaluations/{gone}/withdraw/"),
                {},
                codes=every(409, SELF),
            ),
        ),
    ),
    "api:self-evaluation-application": Route(
        "object",
        True,
        (
            Call(
                "post",
                sel_url("/api/v1/self-evaluations/{run}/application/"),
                {},
                codes=every(400, SELF),
            ),
        ),
    ),
    "api:selection-detail": Route(
        "object",
        True,
        (Call("get", sel_url("/api/v1/selections/{sel}/"), codes=every(200, SELF)),),
    ),
    "api:selection-candidates": Route(
        "object",
        True,
        (
            Call(
                "post",
                sel_url("/api/v1/selections/{sel}/candidates/"),
                {},
                codes=every(400, SELF),
            ),
        ),
    ),
    "api:selection-decision": Route(
        "object",
        True,
        (
            Call(
                "post",
                sel_url("/api/v1/selections/{sel}/decision/"),
                {},
                codes=every(400, SELF),
            ),
        ),
    ),
    "api:selection-invitation-detail": Route(
        "object",
        True,
        (Call("get", sel_url("/api/v1/selection-invitations/{inv}/"), codes=every(200, SELF)),),
    ),
    "api:selection-invitation-answer": Route(
        "object",
        True,
        (
            Call(
                "post",
                sel_url("/api/v1/selection-invitations/{inv}/answer/"),
                {},
                codes=every(400, SELF),
            ),
        ),
    ),
    # ---- supervision (issue #6): cases, lists and exports
    "supervision:report": Route(
        "public", False, (Call("get", "/supervision/report/"),), anonymous=200
    ),
    "supervision:receipt": Route(
        "public", False, (Call("get", "/supervision/receipt/"),), anonymous=200
    ),
    "api:public-report-list": Route(
        "public", True, (Call("post", "/api/v1/public/reports/", {}),), anonymous=400
    ),
    "api:public-report-receipt": Route(
        "public", True, (Call("post", "/api/v1/public/reports/receipt/", {}),), anonymous=400
    ),
    "api:open-data-certificates": Route(
        "public",
        True,
        (
            Call("get", "/api/v1/public/open-data/certificates.json"),
            Call("get", "/api/v1/public/open-data/certificates.csv"),
        ),
        anonymous=200,
    ),
    "supervision:case-list": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/supervision/cases/",
                codes=every(200),
                marker=lambda sc: f">{sc.case.number}<",
                seen_by=CASE_SCOPE,
            ),
        ),
    ),
    # The center's dashboard; each institution admin sees its own institution's.
    "supervision:dashboard": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/supervision/dashboard/",
                codes=every(200, ("center", "inst_admin", "other_admin", "local_admin")),
            ),
        ),
    ),
    "supervision:case-create": Route(
        "private", False, (Call("get", "/supervision/cases/new/", codes=every(200)),)
    ),
    "supervision:list": Route(
        "private",
        False,
        (
            Call(
                "get",
                "/supervision/lists/applications/",
                codes=every(200),
                marker=lambda sc: f">{sc.app.number}<",
            ),
        ),
    ),
    "supervision:export": Route(
        "private",
        False,
        (Call("get", "/supervision/exports/certificates.csv", codes=every(200)),),
    ),
    "api:case-list": Route(
        "private",
        True,
        (
            Call(
                "get",
                "/api/v1/cases/",
                codes=every(200),
                marker=lambda sc: f'"number":"{sc.case.number}"',
                seen_by=CASE_SCOPE,
            ),
            # Filing without data: the validation message, whoever asks (nothing is filed).
            Call("post", "/api/v1/cases/", {}, codes=every(400)),
        ),
    ),
    # A case: its filer and the center; the institution concerned does not see it.
    "supervision:case-detail": Route(
        "object",
        False,
        (Call("get", case_url("/supervision/cases/{case}/"), codes=every(200, CASE_SCOPE)),),
    ),
    "supervision:case-evidence": Route(
        "object",
        False,
        (
            Call(
                "get",
                case_url("/supervision/cases/{case}/evidence/{case_ev}/"),
                codes=every(200, CASE_SCOPE),
            ),
        ),
    ),
    "supervision:case-action": Route(
        "object",
        False,
        (
            Call(
                "post",
                case_url("/supervision/cases/{case}/note/"),
                {},
                codes=every(400, CASE_SCOPE),
            ),
            # In progress already: the filer may not start it, the center finds it started.
            Call(
                "post",
                case_url("/supervision/cases/{case}/start/"),
                {},
                codes={"applicant": 403, "center": 409},
            ),
        ),
    ),
    "api:case-detail": Route(
        "object",
        True,
        (Call("get", case_url("/api/v1/cases/{case}/"), codes=every(200, CASE_SCOPE)),),
    ),
    "api:case-start": Route(
        "object",
        True,
        (
            Call(
                "post",
                case_url("/api/v1/cases/{case}/start/"),
                {},
                codes={"applicant": 403, "center": 409},
            ),
        ),
    ),
    "api:case-notes": Route(
        "object",
        True,
        (Call("post", case_url("/api/v1/cases/{case}/notes/"), {}, codes=every(400, CASE_SCOPE)),),
    ),
    "api:case-evidence": Route(
        "object",
        True,
        (
            Call(
                "post",
                case_url("/api/v1/cases/{case}/evidence/"),
                {},
                codes=every(400, CASE_SCOPE),
            ),
        ),
    ),
    "api:case-decide": Route(
        "object",
        True,
        (Call("post", case_url("/api/v1/cases/{case}/decide/"), {}, codes=every(400, CASE_SCOPE)),),
    ),
    # Record audits (M§24): the center's alone.
    "supervision:audit-list": Route(
        "private", False, (Call("get", "/supervision/audits/", codes={"center": 200}),)
    ),
    "supervision:audit-detail": Route(
        "object",
        False,
        (Call("get", case_url("/supervision/audits/{audit}/"), codes={"center": 200}),),
    ),
    "supervision:audit-action": Route(
        "object",
        False,
        (
            Call(
                "post", case_url("/supervision/audits/{audit}/finding/"), {}, codes={"center": 400}
            ),
        ),
    ),
    "supervision:audit-object-action": Route(
        "object",
        False,
        (
            Call(
                "post",
                case_url("/supervision/audits/{audit}/finding-case/{finding}/"),
                {},
                codes={"center": 302},
            ),
        ),
    ),
    # An export job: its creator (here the center) alone.
    "supervision:export-job": Route(
        "object",
        False,
        (Call("get", case_url("/supervision/exports/jobs/{job}/"), codes={"center": 200}),),
    ),
    "supervision:export-job-status": Route(
        "object",
        False,
        (Call("get", case_url("/supervision/exports/jobs/{job}/status/"), codes={"center": 200}),),
    ),
    "supervision:export-download": Route(
        "object",
        False,
        (
            Call(
                "get",
                case_url("/supervision/exports/jobs/{job}/download/"),
                codes={"center": 200},
            ),
        ),
    ),
    # ---- institutions, assessors and experts (issue #5)
    "institutions:designation-detail": Route(
        "object",
        False,
        (
            Call(
                "get",
                app_url("/institutions/designations/{des}/"),
                codes=every(200, DESIGNATION_SCOPE),
            ),
        ),
    ),
    "institutions:designation-action": Route(
        "object",
        False,
        (
            Call(
                "post",
                app_url("/institutions/designations/{des}/decide/"),
                {},
                codes=every(400, DESIGNATION_SCOPE),
            ),
        ),
    ),
    "api:designation-detail": Route(
        "object",
        True,
        (
            Call(
                "get",
                app_url("/api/v1/designations/{des}/"),
                codes=every(200, DESIGNATION_SCOPE),
            ),
        ),
    ),
    "institutions:designation-document": Route(
        "object",
        False,
        (
            Call(
                "get",
                app_url("/institutions/designations/{des}/documents/{desdoc}/"),
                codes=every(200, DESIGNATION_SCOPE),
            ),
        ),
    ),
    "api:designation-documents": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/designations/{des}/documents/"),
                {},
                codes=every(400, DESIGNATION_SCOPE),
            ),
        ),
    ),
    "api:designation-actions": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/designations/{des}/actions/decide/"),
                {},
                codes={"center": 400, "applicant": 403, "panel_expert": 403},
            ),
        ),
    ),
    "institutions:supervision-evidence": Route(
        "object",
        False,
        (
            Call(
                "get",
                app_url("/institutions/supervision/{sup}/files/{supfile}/"),
                codes=every(200, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "institutions:institution-manage": Route(
        "object",
        False,
        (
            Call(
                "get",
                app_url("/institutions/{inst}/manage/"),
                codes=every(200, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "institutions:institution-action": Route(
        "object",
        False,
        (
            Call(
                "post",
                app_url("/institutions/{inst}/manage/suspend/"),
                {},
                codes=every(400, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "api:managed-institution-detail": Route(
        "object",
        True,
        (
            Call(
                "get",
                app_url("/api/v1/manage/institutions/{inst}/"),
                codes=every(200, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "api:managed-institution-actions": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/manage/institutions/{inst}/actions/suspend/"),
                {},
                codes={"center": 400, "inst_admin": 403},
            ),
        ),
    ),
    "institutions:assessor-detail": Route(
        "object",
        False,
        (
            Call(
                "get",
                app_url("/institutions/assessors/{nominee}/"),
                codes=every(200, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "institutions:assessor-action": Route(
        "object",
        False,
        (
            Call(
                "post",
                app_url("/institutions/assessors/{nominee}/suspend/"),
                {},
                # Only the center suspends; for the institution there is no such form.
                codes={"center": 400},
            ),
            Call(
                "post",
                app_url("/institutions/assessors/{nominee}/remove/"),
                {},
                codes=every(400, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "api:assessor-detail": Route(
        "object",
        True,
        (
            Call(
                "get",
                app_url("/api/v1/assessors/{nominee}/"),
                codes=every(200, INSTITUTION_SCOPE),
            ),
        ),
    ),
    "api:assessor-actions": Route(
        "object",
        True,
        (
            Call(
                "post",
                app_url("/api/v1/assessors/{nominee}/actions/suspend/"),
                {},
                codes={"center": 400, "inst_admin": 403},
            ),
        ),
    ),
    "institutions:expert-detail": Route(
        "object",
        False,
        (Call("get", app_url("/institutions/experts/{expert}/"), codes={"center": 200}),),
    ),
    "institutions:expert-action": Route(
        "object",
        False,
        (
            Call(
                "post", app_url("/institutions/experts/{expert}/update/"), {}, codes={"center": 400}
            ),
        ),
    ),
    "api:expert-detail": Route(
        "object",
        True,
        (
            Call("get", app_url("/api/v1/experts/{expert}/"), codes={"center": 200}),
            Call("patch", app_url("/api/v1/experts/{expert}/"), {}, codes={"center": 400}),
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
    # Issue #5: a designation filed by the applicant's organisation, `panel_expert` alone on
    # its panel; a nomination of the national institution; an expert of the pool.
    from institutions import services as inst_services
    from institutions.models import Expert

    expert = Expert.objects.create(user=w.experts[0], fields_of_expertise="信息系统")
    designation = inst_services.designation_apply(
        actor=w.applicant,
        name="候选评价机构",
        level="national",
        established_on="2019-01-01",
        personnel="人员。",
        technical_means="技术。",
        infrastructure="设施。",
        declares_good_credit=True,
        declares_independence=True,
        now=later,
    )
    designation_document = inst_services.designation_document_add(
        designation_id=designation.pk,
        actor=w.applicant,
        kind="licence",
        upload=pdf_upload("营业执照.pdf"),
        now=later,
    )
    inst_services.designation_start_expert_review(
        designation_id=designation.pk, actor=w.center, panel_size=1, now=later
    )
    nominee = inst_services.assessor_nominate(
        actor=w.inst_admin,
        full_name="候选评价师",
        id_number="11010519491231002X",
        username="nominee",
        email="nominee@example.cn",
        contract_type="labour",
        full_time=True,
        now=later,
    )
    run = selection_services.self_evaluation_create(
        actor=w.applicant, kind="grade", title="甲公司年度自评", now=later
    )
    run_evidence = selection_services.self_evaluation_evidence_add(
        actor=w.applicant, evaluation_id=run.pk, upload=pdf_upload(), now=later
    )
    withdrawn_run = selection_services.self_evaluation_withdraw(
        actor=w.applicant,
        evaluation_id=selection_services.self_evaluation_create(
            actor=w.applicant, kind="grade", now=later
        ).pk,
        now=later,
    )
    weights = {"basic": 25, "technical": 25, "service": 25, "operational": 25}
    selection = selection_services.selection_create(
        actor=w.applicant, title="甲公司采购项目", weights=weights, now=later
    )
    theirs = selection_services.selection_create(
        actor=w.other_applicant, title="乙公司采购项目", weights=weights, now=later
    )
    invitation = selection_services.selection_invite(
        actor=w.other_applicant, project_id=theirs.pk, organization_id=w.org.pk, now=later
    )
    case, _ = case_services.case_file(
        actor=w.applicant,
        kind="complaint",
        subject_kind="application",
        reference=app.number,
        summary="投诉",
        details="评价过程不规范。",
        evidence=[pdf_upload()],
        now=later,
    )
    case_services.case_start(case_id=case.pk, actor=w.center, now=later)
    export_job = export_job_create(
        actor=w.center, name="certificates", fmt="csv", params={}, total=1, now=later
    )
    export_job_run(job_id=export_job.pk, now=later)
    audit = record_audits.record_audit_open(
        actor=w.center,
        institution_id=w.inst.pk,
        period_start=T0.date(),
        period_end=later.date(),
        now=later,
    )
    finding = record_audits.record_audit_finding_add(
        audit_id=audit.pk, actor=w.center, text="记录不全。", application_id=app.pk, now=later
    )
    # R§16: a supervision action of the national institution with the report it rests on
    # (suspended and reinstated: the institution is approved again, as before)
    inst_services.institution_suspend(
        institution_id=w.inst.pk, actor=w.center, grounds="rules", explanation="检查。", now=later
    )
    supervision_file = inst_services.institution_reinstate(
        institution_id=w.inst.pk,
        actor=w.center,
        explanation="已整改。",
        evidence_file=pdf_upload("整改报告.pdf"),
        now=later,
    ).files.get()
    return SimpleNamespace(
        designation=designation,
        supervision_file=supervision_file,
        designation_document=designation_document,
        nominee=nominee,
        expert=expert,
        case=case,
        export_job=export_job,
        audit=audit,
        finding=finding,
        run=run,
        run_evidence=run_evidence,
        withdrawn_run=withdrawn_run,
        selection=selection,
        invitation=invitation,
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
        # the file uploads take multipart only (415 to JSON)
        fmt = "multipart" if url.endswith(("/evidence/", "/documents/")) else "json"
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


# ---- the access matrix as one figure (issue 9, docs/reliability.md): every API operation of the
# schema (path × method) is a call above; every call of every route, as anonymous and as each of
# the 13 users, counted against its expectation — above all, any 2xx where a 404 (another
# tenant), a 401/302 (anonymous) or a refusal was expected.

METHODS = {"get", "post", "put", "patch", "delete"}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in METHODS
    }


def expected(route, call, who) -> int:
    if route.kind == "public":
        return route.anonymous
    if who is None:
        return 401 if route.api else 302
    return call.codes.get(who, 404)


@pytest.mark.slow
def test_access_matrix_every_api_operation_and_role(scene):
    assert set(ROUTES) == route_keys()  # every URL pattern (test_tenancy.py keeps it so)
    operations = schema_operations()
    calls = [
        (call.method, url_of(call, scene).split("?")[0])
        for route in ROUTES.values()
        if route.api
        for call in route.calls
    ]
    uncovered = sorted(
        (method, path)
        for method, path in operations
        if not any(
            m == method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), url)
            for m, url in calls
        )
    )
    assert uncovered == [], "add a Call for these API operations to ROUTES in test_tenancy.py"

    callers = [None, *scene.users]
    clients = {
        (who, api): client_for(scene.users.get(who), api) for who in callers for api in (0, 1)
    }
    answers = {}
    for name, route in ROUTES.items():
        cache.clear()  # per-address rate limits: every caller here shares one address
        for call in route.calls:
            url = url_of(call, scene)
            for who in callers:
                # Public routes include logging out: a fresh client each, so that it does not
                # end the session the other calls use.
                client = (
                    client_for(scene.users.get(who), route.api)
                    if route.kind == "public"
                    else clients[who, route.api]
                )
                response = send(client, call, url, route.api)
                answers[name, call.method, who] = (
                    response.status_code,
                    expected(route, call, who),
                )

    def is_2xx(code):
        return 200 <= code < 300

    unexpected_2xx = sorted(
        (k for k, (got, want) in answers.items() if is_2xx(got) and not is_2xx(want)),
        key=str,
    )
    mismatches = sorted((k for k, (got, want) in answers.items() if got != want), key=str)
    print(
        f"\nFIGURE access matrix: {len(ROUTES)} of {len(ROUTES)} URL patterns,"
        f" {len(operations)} of {len(operations)} API operations covered;"
        f" {len(callers)} callers, {len(answers)} requests;"
        f" {len(unexpected_2xx)} unexpected 2xx, {len(mismatches)} other differences"
    )
    assert unexpected_2xx == []
    for k in mismatches:
        print("DIFF", k, answers[k])
    assert [(k, answers[k]) for k in mismatches] == []
