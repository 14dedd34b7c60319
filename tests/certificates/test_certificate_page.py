"""The certificate's own page (/certificates/<number>/) and its API (/api/v1/certificates/):
each role sees the forms of what it may do now and none of the others'; a POST redirects back
with a success message, or re-renders the page with the error and its status code; the API
answers the detail (decisions, annual reviews, requests). Outside the scope: 404."""

from datetime import timedelta
from functools import partial

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.test import APIClient

from certificates.enums import AnnualReviewState as R
from certificates.enums import CertificateStatus as C
from certificates.enums import DecisionKind, RequestState
from certificates.models import AnnualReview, Certificate, CertificateDecision, CertificateRequest
from certificates.services import (
    annual_review_submit,
    certificate_decide,
    certificate_request_file,
    certificate_request_verify,
)
from ietsportal.demo import DEMO_PDF
from tests.conftest import pdf_upload
from tests.helpers import issued_certificate

# Issued a year ago, so that the pages' own `now` (these views take the real time) is
# inside its validity.
certificate_of = partial(
    issued_certificate,
    issued_on=timezone.localdate() - relativedelta(years=1),
    status_changed_at=timezone.now() - timedelta(days=365),
)


def review_of(certificate, state=R.DUE, year=1):
    today = timezone.localdate()
    return AnnualReview.objects.create(
        certificate=certificate,
        year=year,
        due_on=today + timedelta(days=10),
        deadline=today + timedelta(days=70),
        state=state,
        materials="年度材料" if state != R.DUE else "",
    )


def decisions_to_relay(world, certificate):
    """A suspension and its lifting: two decisions not yet relayed, the certificate valid."""
    for kind, grounds in (
        (DecisionKind.SUSPEND, "noncompliant"),
        (DecisionKind.REINSTATE, "resolved"),
    ):
        certificate_decide(
            number=certificate.number,
            actor=world.center,
            kind=kind,
            grounds=grounds,
            explanation="说明",
            now=timezone.now(),
        )
    return list(CertificateDecision.objects.filter(certificate=certificate))


def filed_request(world, certificate):
    return certificate_request_file(
        number=certificate.number,
        actor=world.applicant,
        kind="reissue",
        details="证书遗失。",
        now=timezone.now(),
    )


def forms_on(client, user, certificate):
    """Which action forms the page shows to `user`: action name → object ids (or [None])."""
    client.force_login(user)
    response = client.get(f"/certificates/{certificate.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    prefix = f'action="/certificates/{certificate.number}/'
    found = {}
    for chunk in html.split(prefix)[1:]:
        path = chunk.split('"', 1)[0].strip("/").split("/")
        if path[0] == "pdf":
            continue
        found.setdefault(path[0], []).append(int(path[1]) if len(path) > 1 else None)
    return found


# ---- who sees which form


def test_certificate_page_holder_sees_the_annual_materials_and_request_forms(world, client):
    certificate = certificate_of(world)
    decisions_to_relay(world, certificate)
    review = review_of(certificate)

    assert forms_on(client, world.applicant, certificate) == {
        "review-submit": [review.pk],
        "request-file": [None],
    }


def test_certificate_page_holder_sees_no_form_once_submitted_and_requested(world, client):
    certificate = certificate_of(world)
    review = review_of(certificate)
    annual_review_submit(
        review_id=review.pk, actor=world.applicant, materials="材料", now=timezone.now()
    )
    filed_request(world, certificate)

    assert forms_on(client, world.applicant, certificate) == {}


def test_certificate_page_holder_of_a_suspended_certificate_may_file_no_request(world, client):
    certificate = certificate_of(world, status=C.SUSPENDED)

    assert forms_on(client, world.applicant, certificate) == {}


def test_certificate_page_institution_sees_relay_and_verify_forms(world, client):
    certificate = certificate_of(world)
    first, second = decisions_to_relay(world, certificate)
    review_of(certificate)
    review_of(certificate, R.SUBMITTED, year=2)
    request = filed_request(world, certificate)

    assert forms_on(client, world.inst_admin, certificate) == {
        "request-verify": [request.pk],
        "relay": [first.pk, second.pk],
    }


def test_certificate_page_institution_sees_no_relay_form_once_relayed(world, client):
    from certificates.services import certificate_decision_relay

    certificate = certificate_of(world)
    first, second = decisions_to_relay(world, certificate)
    certificate_decision_relay(decision_id=first.pk, actor=world.inst_admin, now=timezone.now())

    assert forms_on(client, world.inst_admin, certificate) == {"relay": [second.pk]}


def test_certificate_page_center_sees_decision_review_and_request_forms(world, client):
    certificate = certificate_of(world)
    first, second = decisions_to_relay(world, certificate)
    review_of(certificate)
    submitted = review_of(certificate, R.SUBMITTED, year=2)
    request = filed_request(world, certificate)

    assert forms_on(client, world.center, certificate) == {
        "review-decide": [submitted.pk],
        "decide": [None],
    }

    certificate_request_verify(
        request_id=request.pk, actor=world.inst_admin, approve=True, note="核实", now=timezone.now()
    )
    assert forms_on(client, world.center, certificate) == {
        "review-decide": [submitted.pk],
        "request-decide": [request.pk],
        "decide": [None],
    }
    assert forms_on(client, world.inst_admin, certificate) == {"relay": [first.pk, second.pk]}


@pytest.mark.parametrize("who", ["other_applicant", "other_admin", "local_admin", "experts"])
def test_certificate_page_outside_the_scope_is_not_found(world, client, who):
    certificate = certificate_of(world)
    review = review_of(certificate)
    user = getattr(world, who)
    client.force_login(user[0] if isinstance(user, list) else user)

    assert client.get(f"/certificates/{certificate.number}/").status_code == 404
    assert (
        client.post(
            f"/certificates/{certificate.number}/review-submit/{review.pk}/", {"materials": "x"}
        ).status_code
        == 404
    )
    assert client.get(f"/certificates/{certificate.number}/pdf/").status_code == 404
    assert AnnualReview.objects.get().state == R.DUE


def test_certificate_page_asks_anonymous_visitors_to_log_in(world, client):
    certificate = certificate_of(world)

    response = client.get(f"/certificates/{certificate.number}/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# ---- POSTs through the page


def assert_done(response, certificate):
    assert response.redirect_chain == [(f"/certificates/{certificate.number}/", 302)]
    assert response.status_code == 200
    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [
        ("success", gettext("Done."))
    ]


def test_certificate_page_holder_submits_the_annual_materials(world, client):
    certificate = certificate_of(world)
    review = review_of(certificate)
    client.force_login(world.applicant)
    url = f"/certificates/{certificate.number}/review-submit/{review.pk}/"

    empty = client.post(url, {"materials": ""})
    done = client.post(url, {"materials": "年度经营情况。"}, follow=True)
    again = client.post(url, {"materials": "再次提交"})

    assert empty.status_code == 400
    assert empty.context["error"]
    assert '<p class="message error" role="alert">' in empty.content.decode()
    assert_done(done, certificate)
    assert again.status_code == 409
    assert again.context["error"] == gettext("This annual review is not open for submission.")
    review.refresh_from_db()
    assert (review.state, review.materials) == (R.SUBMITTED, "年度经营情况。")


def test_certificate_page_review_of_another_certificate_is_not_found(world, client):
    mine = certificate_of(world)
    other = certificate_of(world)
    review = review_of(other)
    client.force_login(world.applicant)

    response = client.post(
        f"/certificates/{mine.number}/review-submit/{review.pk}/", {"materials": "材料"}
    )

    assert response.status_code == 404
    assert AnnualReview.objects.get().state == R.DUE


def test_certificate_page_center_fails_a_review_and_the_certificate_is_revoked(world, client):
    certificate = certificate_of(world)
    review = review_of(certificate, R.SUBMITTED)
    client.force_login(world.center)
    url = f"/certificates/{certificate.number}/review-decide/{review.pk}/"

    no_note = client.post(url, {"approve": "no", "note": ""})
    done = client.post(url, {"approve": "no", "note": "材料不符合要求。"}, follow=True)

    assert no_note.status_code == 400
    assert_done(done, certificate)
    assert AnnualReview.objects.get().state == R.FAILED
    certificate.refresh_from_db()
    assert certificate.status == C.REVOKED
    assert CertificateDecision.objects.get().reason == "annual_review_failed"


def test_certificate_page_center_decides_with_evidence(world, client, settings):
    certificate = certificate_of(world)
    client.force_login(world.center)
    url = f"/certificates/{certificate.number}/decide/"
    body = {"kind": "suspend", "grounds": "serious_violation", "explanation": "严重失信。"}

    mislabelled = client.post(url, {**body, "evidence": pdf_upload("证据.jpg")})
    settings.EVIDENCE_MAX_BYTES = len(DEMO_PDF) - 1
    oversized = client.post(url, {**body, "evidence": pdf_upload()})
    settings.EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    unknown = client.post(url, {**body, "grounds": "whim"})
    done = client.post(url, {**body, "evidence": pdf_upload("处罚决定.pdf")}, follow=True)
    twice = client.post(url, body)

    assert [r.status_code for r in (mislabelled, oversized, unknown, twice)] == [415, 413, 400, 409]
    assert all(r.context["error"] for r in (mislabelled, oversized, unknown, twice))
    assert_done(done, certificate)
    decision = CertificateDecision.objects.get()
    assert (decision.kind, decision.reason, decision.evidence_name) == (
        "suspend",
        "serious_violation",
        "处罚决定.pdf",
    )
    assert Certificate.objects.get(pk=certificate.pk).status == C.SUSPENDED


def test_certificate_page_holder_cannot_decide(world, client):
    certificate = certificate_of(world)
    client.force_login(world.applicant)

    response = client.post(
        f"/certificates/{certificate.number}/decide/",
        {"kind": "revoke", "grounds": "noncompliant", "explanation": "x"},
    )

    assert response.status_code == 404
    assert (Certificate.objects.get().status, CertificateDecision.objects.count()) == (C.VALID, 0)


def test_certificate_page_institution_relays_a_decision(world, client):
    certificate = certificate_of(world)
    first, _second = decisions_to_relay(world, certificate)
    client.force_login(world.inst_admin)
    url = f"/certificates/{certificate.number}/relay/{first.pk}/"

    done = client.post(url, follow=True)
    twice = client.post(url)

    assert_done(done, certificate)
    assert twice.status_code == 409
    first.refresh_from_db()
    assert first.relayed_by == world.inst_admin


def test_certificate_page_request_from_filing_to_a_new_version(world, client):
    certificate = certificate_of(world)
    base = f"/certificates/{certificate.number}"
    today = timezone.localdate()

    client.force_login(world.applicant)
    future = client.post(
        f"{base}/request-file/",
        {"kind": "change", "changed_on": (today + timedelta(days=3)).isoformat(), "details": "x"},
    )
    filed = client.post(
        f"{base}/request-file/",
        {
            "kind": "change",
            "changed_on": (today - timedelta(days=40)).isoformat(),
            "new_name": "北京甲新科技有限公司",
            "details": "名称变更。",
        },
        follow=True,
    )
    second = client.post(f"{base}/request-file/", {"kind": "reissue", "details": "遗失"})
    request = CertificateRequest.objects.get()

    client.force_login(world.inst_admin)
    verified = client.post(
        f"{base}/request-verify/{request.pk}/",
        {"approve": "yes", "note": "核实无误。"},
        follow=True,
    )
    client.force_login(world.center)
    decided = client.post(
        f"{base}/request-decide/{request.pk}/", {"approve": "yes", "note": "同意。"}, follow=True
    )

    assert (future.status_code, second.status_code) == (400, 409)
    for response in (filed, verified, decided):
        assert_done(response, certificate)
    request.refresh_from_db()
    assert (request.state, request.late, request.resulting_version) == (
        RequestState.APPROVED,
        True,
        2,
    )
    certificate.refresh_from_db()
    assert (certificate.version, certificate.edition, certificate.organization.name) == (
        2,
        "changed",
        "北京甲新科技有限公司",
    )
    assert "北京甲新科技有限公司" in decided.content.decode()


def test_certificate_page_unknown_action_is_not_found(world, client):
    certificate = certificate_of(world)
    client.force_login(world.center)

    assert client.post(f"/certificates/{certificate.number}/explode/").status_code == 404
    assert client.post(f"/certificates/{certificate.number}/relay/").status_code == 404


# ---- the API


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_certificate_api_detail_lists_decisions_reviews_and_requests(world):
    certificate = certificate_of(world)
    first, second = decisions_to_relay(world, certificate)
    review = review_of(certificate)
    request = filed_request(world, certificate)

    body = api(world.applicant).get(f"/api/v1/certificates/{certificate.number}/").json()

    assert (body["number"], body["status"], body["version"], body["edition"]) == (
        certificate.number,
        "valid",
        1,
        "original",
    )
    assert [(d["id"], d["kind"], d["reason"], d["relayed_at"]) for d in body["decisions"]] == [
        (first.pk, "suspend", "noncompliant", None),
        (second.pk, "reinstate", "resolved", None),
    ]
    assert body["annual_reviews"] == [
        {
            "id": review.pk,
            "year": 1,
            "due_on": review.due_on.isoformat(),
            "deadline": review.deadline.isoformat(),
            "state": "due",
            "materials": "",
            "submitted_at": None,
            "decided_at": None,
            "decision_note": "",
        }
    ]
    assert [(r["id"], r["kind"], r["state"], r["late"]) for r in body["requests"]] == [
        (request.pk, "reissue", "filed", False)
    ]


@pytest.mark.parametrize("who", ["other_applicant", "other_admin", "local_admin"])
def test_certificate_api_outside_the_scope_is_not_found(world, who):
    certificate = certificate_of(world)
    review = review_of(certificate)
    client = api(getattr(world, who))
    base = f"/api/v1/certificates/{certificate.number}"

    assert client.get(f"{base}/").status_code == 404
    assert (
        client.post(f"{base}/annual-reviews/{review.pk}/submit/", {"materials": "x"}).status_code
        == 404
    )
    assert client.post(f"{base}/requests/", {"kind": "reissue", "details": "x"}).status_code == 404
    assert CertificateRequest.objects.count() == 0
    assert AnnualReview.objects.get().state == R.DUE


def test_certificate_api_annual_review_submit_and_decide(world):
    certificate = certificate_of(world)
    review = review_of(certificate)
    base = f"/api/v1/certificates/{certificate.number}/annual-reviews/{review.pk}"

    empty = api(world.applicant).post(f"{base}/submit/", {"materials": ""}, format="json")
    by_institution = api(world.inst_admin).post(
        f"{base}/submit/", {"materials": "x"}, format="json"
    )
    submitted = api(world.applicant).post(
        f"{base}/submit/", {"materials": "年度材料"}, format="json"
    )
    twice = api(world.applicant).post(f"{base}/submit/", {"materials": "又一次"}, format="json")
    by_holder = api(world.applicant).post(
        f"{base}/decide/", {"approve": True, "note": "自己通过"}, format="json"
    )
    passed = api(world.center).post(
        f"{base}/decide/", {"approve": True, "note": "合格"}, format="json"
    )

    assert [
        r.status_code for r in (empty, by_institution, submitted, twice, by_holder, passed)
    ] == [
        400,
        404,
        200,
        409,
        404,
        200,
    ]
    assert submitted.json()["annual_reviews"][0]["state"] == "submitted"
    assert (passed.json()["status"], passed.json()["annual_reviews"][0]["state"]) == (
        "valid",
        "passed",
    )
    assert passed.json()["annual_reviews"][0]["decision_note"] == "合格"


def test_certificate_api_review_of_another_certificate_is_not_found(world):
    mine = certificate_of(world)
    review = review_of(certificate_of(world))

    response = api(world.applicant).post(
        f"/api/v1/certificates/{mine.number}/annual-reviews/{review.pk}/submit/",
        {"materials": "材料"},
        format="json",
    )

    assert response.status_code == 404
    assert AnnualReview.objects.get().state == R.DUE


def test_certificate_api_request_from_filing_to_a_new_version(world):
    certificate = certificate_of(world)
    base = f"/api/v1/certificates/{certificate.number}/requests"
    changed_on = (timezone.localdate() - timedelta(days=5)).isoformat()

    no_date = api(world.applicant).post(
        base + "/", {"kind": "change", "details": "x"}, format="json"
    )
    filed = api(world.applicant).post(
        base + "/",
        {"kind": "major_change", "changed_on": changed_on, "details": "合并。"},
        format="json",
    )
    request_id = filed.json()["requests"][0]["id"]
    too_early = api(world.center).post(
        f"{base}/{request_id}/decide/", {"approve": True, "note": "同意"}, format="json"
    )
    by_other = api(world.other_admin).post(
        f"{base}/{request_id}/verify/", {"approve": True, "note": "核实"}, format="json"
    )
    verified = api(world.inst_admin).post(
        f"{base}/{request_id}/verify/", {"approve": True, "note": "核实"}, format="json"
    )
    decided = api(world.center).post(
        f"{base}/{request_id}/decide/", {"approve": True, "note": "同意"}, format="json"
    )

    assert [r.status_code for r in (no_date, filed, too_early, by_other, verified, decided)] == [
        400,
        201,
        409,
        404,
        200,
        200,
    ]
    assert filed.json()["requests"][0]["state"] == "filed"
    assert filed.json()["requests"][0]["late"] is False
    assert verified.json()["requests"][0]["state"] == "verified"
    body = decided.json()
    assert (body["version"], body["edition"]) == (2, "changed")
    assert (body["requests"][0]["state"], body["requests"][0]["resulting_version"]) == (
        "approved",
        2,
    )
