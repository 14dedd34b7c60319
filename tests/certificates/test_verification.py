"""M§18: a presented certificate (its QR token) is checked step by step against the register,
and each outcome gets its own verdict: genuine, tampered, unknown, mismatch, suspended,
revoked, expired, superseded. The HTML page and the API show the same steps; the public
history lists events and dates, never the reasons."""

import html
import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from certificates.enums import CertificateStatus as C
from certificates.models import Certificate
from certificates.services import (
    certificate_reinstate,
    certificate_revoke,
    certificate_suspend,
    certificates_expire_due,
)
from certificates.signing import b64e, certificate_facts, sign_facts
from certificates.verification import STEP_LABELS, VERDICTS, verify_presented
from ietsportal.jobs import run_due_jobs

STEPS = list(STEP_LABELS)  # intact, signed, registered, status, validity, latest
ALL_PASSED = [True] * 6
UNKNOWN_NUMBER = "IETS-2026-999999"


@pytest.fixture
def certificate(flow, world):
    """A certificate issued today (the pages check validity against the real date)."""
    app = flow.to(flow.draft(), S.PUBLICITY)
    run_due_jobs(now=max(timezone.now(), app.publicity_ends_at + timedelta(seconds=1)))
    return Certificate.objects.select_related("organization").get(application=app)


def token_for(certificate) -> str:
    return sign_facts(certificate_facts(certificate))


def day_in(certificate, days: int):
    return certificate.issued_on + timedelta(days=days)


def moment(certificate, days: int) -> datetime:
    """Noon (Beijing time) `days` days after the issue day."""
    return datetime.combine(
        day_in(certificate, days), time(12), tzinfo=timezone.get_default_timezone()
    )


def check(certificate, token, *, number=None, today=None):
    certificate = (
        Certificate.objects.select_related("organization")
        .filter(number=number or certificate.number)
        .first()
    )
    result = verify_presented(
        number=number or certificate.number,
        token=token,
        certificate=certificate,
        today=today,
    )
    return result.verdict, [(step.name, step.passed) for step in result.steps]


def steps(*passed):
    return list(zip(STEPS, passed, strict=True))


# ---- verdicts


def test_genuine_certificate_passes_every_step(certificate):
    assert check(certificate, token_for(certificate), today=day_in(certificate, 30)) == (
        "genuine",
        steps(*ALL_PASSED),
    )


def test_genuine_on_the_first_and_last_day_of_validity(certificate):
    token = token_for(certificate)

    assert check(certificate, token, today=certificate.issued_on)[0] == "genuine"
    assert check(certificate, token, today=certificate.expires_on)[0] == "genuine"


def test_changed_facts_in_the_token_are_tampered(certificate):
    kid, _, sig = token_for(certificate).split(".")
    facts = {**certificate_facts(certificate), "g": "IETS-1"}
    payload = b64e(json.dumps(facts, sort_keys=True, separators=(",", ":")).encode())

    assert check(certificate, f"{kid}.{payload}.{sig}", today=day_in(certificate, 30)) == (
        "tampered",
        steps(True, False, None, None, None, None),
    )


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "a.b.c.d", "x" * 700, "dev.!!!!.sig", "dev.e30.sig"]
)
def test_malformed_token_is_tampered(certificate, token):
    assert check(certificate, token, today=day_in(certificate, 30)) == (
        "tampered",
        steps(False, None, None, None, None, None),
    )


def test_truncated_token_is_tampered(certificate):
    token = token_for(certificate)

    for end in (len(token) - 1, len(token) - 3, len(token) - 4, len(token) // 2, 5):
        verdict, result = check(certificate, token[:end], today=day_in(certificate, 30))
        assert verdict == "tampered", end
        assert result[2:] == steps(None, None, None, None, None, None)[2:], end


def test_token_of_another_certificate_is_tampered(flow, world, certificate):
    other = Certificate.objects.get(
        application=flow.to(flow.draft(world.other_applicant), S.ISSUED)
    )

    assert check(other, token_for(certificate), today=day_in(certificate, 30)) == (
        "tampered",
        steps(True, False, None, None, None, None),
    )


def test_signed_token_of_an_unknown_number_is_unknown(certificate):
    token = sign_facts({**certificate_facts(certificate), "n": UNKNOWN_NUMBER})

    assert check(certificate, token, number=UNKNOWN_NUMBER, today=day_in(certificate, 30)) == (
        "unknown",
        steps(True, True, False, None, None, None),
    )


def test_suspended_certificate_is_suspended(certificate, world):
    certificate_suspend(
        number=certificate.number,
        actor=world.center,
        reason="年审逾期。",
        now=moment(certificate, 10),
    )

    assert check(certificate, token_for(certificate), today=day_in(certificate, 30)) == (
        "suspended",
        steps(True, True, True, False, True, True),
    )


def test_reinstated_certificate_is_genuine_again(certificate, world):
    certificate_suspend(
        number=certificate.number, actor=world.center, reason="暂停。", now=moment(certificate, 10)
    )
    certificate_reinstate(
        number=certificate.number, actor=world.center, reason="恢复。", now=moment(certificate, 20)
    )

    assert check(certificate, token_for(certificate), today=day_in(certificate, 30)) == (
        "genuine",
        steps(*ALL_PASSED),
    )


def test_revoked_certificate_is_revoked(certificate, world):
    certificate_revoke(
        number=certificate.number,
        actor=world.center,
        reason="提供虚假材料。",
        now=moment(certificate, 10),
    )

    assert check(certificate, token_for(certificate), today=day_in(certificate, 30)) == (
        "revoked",
        steps(True, True, True, False, True, True),
    )


def test_certificate_expired_by_the_job_is_expired(certificate):
    token = token_for(certificate)
    day_after = (certificate.expires_on - certificate.issued_on).days + 1

    assert certificates_expire_due(now=moment(certificate, day_after)) == 1

    assert check(certificate, token, today=day_in(certificate, day_after)) == (
        "expired",
        steps(True, True, True, False, False, True),
    )


def test_valid_certificate_past_its_end_not_yet_expired_by_the_job_is_expired(certificate):
    token = token_for(certificate)
    day_after = certificate.expires_on + timedelta(days=1)

    assert Certificate.objects.get(pk=certificate.pk).status == C.VALID
    assert check(certificate, token, today=day_after) == (
        "expired",
        steps(True, True, True, True, False, True),
    )


def test_certificate_before_its_issue_day_is_not_valid_yet(certificate):
    assert check(
        certificate, token_for(certificate), today=certificate.issued_on - timedelta(days=1)
    ) == ("not_yet", steps(True, True, True, True, False, True))


def test_older_version_is_superseded(certificate):
    old_token = token_for(certificate)
    # a change (换发) or reissue (补发) gives the same number a new version
    Certificate.objects.filter(pk=certificate.pk).update(version=2)
    certificate.refresh_from_db()

    assert check(certificate, old_token, today=day_in(certificate, 30)) == (
        "superseded",
        steps(True, True, True, True, True, False),
    )
    assert check(certificate, token_for(certificate), today=day_in(certificate, 30)) == (
        "genuine",
        steps(*ALL_PASSED),
    )


def test_replaced_certificate_is_replaced(certificate):
    token = token_for(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(status=C.REPLACED)

    assert check(certificate, token, today=day_in(certificate, 30)) == (
        "replaced",
        steps(True, True, True, False, True, True),
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("g", "IETS-1"), ("u", "91110108MA4000000X"), ("k", "innovation"), ("e", "2099-12-31")],
)
def test_signed_facts_that_differ_from_the_register_are_a_mismatch(certificate, field, value):
    token = sign_facts({**certificate_facts(certificate), field: value})

    assert check(certificate, token, today=day_in(certificate, 30)) == (
        "mismatch",
        steps(True, True, False, None, None, None),
    )


def test_signed_token_of_a_version_not_yet_issued_is_a_mismatch(certificate):
    token = sign_facts({**certificate_facts(certificate), "v": certificate.version + 1})

    assert check(certificate, token, today=day_in(certificate, 30)) == (
        "mismatch",
        steps(True, True, False, None, None, None),
    )


# ---- the HTML page


def page_steps(content: str) -> list[tuple[str, str, str, str]]:
    found = re.findall(
        r'<li class="check check-(\w+)">\s*<span class="check-mark" aria-hidden="true">(.)</span>'
        r"\s*(.*?): <strong>(.*?)</strong>",
        content,
        re.S,
    )
    return [
        (state, mark, html.unescape(label.strip()), answer) for state, mark, label, answer in found
    ]


def page_verdict(content: str) -> tuple[str, str]:
    match = re.search(r'<p class="verdict verdict-(\w+)" role="status">(.*?)</p>', content, re.S)
    return match[1], html.unescape(match[2].strip())


def page_history(content: str) -> list[tuple[str, str]]:
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', content, re.S)
    return [
        (day, html.unescape(label.strip()))
        for day, label in re.findall(r"<time [^>]*>([^<]*)</time>([^<]*)</li>", timeline[1])
    ]


def get_page(client, number: str, token: str):
    return client.get(f"/verify/{number}/", {"t": token}, HTTP_ACCEPT_LANGUAGE="en")


def test_page_shows_each_step_and_the_genuine_verdict(client, certificate):
    response = get_page(client, certificate.number, token_for(certificate))

    assert response.status_code == 200
    content = response.content.decode()
    assert page_verdict(content) == ("valid", str(VERDICTS["genuine"]))
    assert page_steps(content) == [
        ("ok", "✔", "The code is intact", "yes"),
        ("ok", "✔", "Signed by this portal's key", "yes"),
        ("ok", "✔", "Matches the register", "yes"),
        ("ok", "✔", "Status is valid", "yes"),
        ("ok", "✔", "Within its validity period", "yes"),
        ("ok", "✔", "This is the latest version", "yes"),
    ]
    assert certificate.organization.name in content


def test_page_shows_failed_and_unchecked_steps_of_a_tampered_code(client, certificate):
    kid, _, sig = token_for(certificate).split(".")
    facts = {**certificate_facts(certificate), "g": "IETS-1"}
    payload = b64e(json.dumps(facts, sort_keys=True, separators=(",", ":")).encode())

    response = get_page(client, certificate.number, f"{kid}.{payload}.{sig}")

    assert response.status_code == 200
    content = response.content.decode()
    assert page_verdict(content) == ("revoked", str(VERDICTS["tampered"]))
    assert page_steps(content) == [
        ("ok", "✔", "The code is intact", "yes"),
        ("failed", "✘", "Signed by this portal's key", "no"),
        ("skipped", "–", "Matches the register", "not checked"),
        ("skipped", "–", "Status is valid", "not checked"),
        ("skipped", "–", "Within its validity period", "not checked"),
        ("skipped", "–", "This is the latest version", "not checked"),
    ]


def test_page_of_a_suspended_certificate_shows_the_suspended_verdict(client, world, certificate):
    certificate_suspend(
        number=certificate.number, actor=world.center, reason="暂停。", now=moment(certificate, 1)
    )

    content = get_page(client, certificate.number, token_for(certificate)).content.decode()

    assert page_verdict(content) == ("suspended", str(VERDICTS["suspended"]))
    assert [step[0] for step in page_steps(content)] == ["ok", "ok", "ok", "failed", "ok", "ok"]


def test_page_in_the_default_language_shows_its_labels(client, certificate):
    from django.utils import translation

    response = client.get(f"/verify/{certificate.number}/", {"t": token_for(certificate)})

    with translation.override("zh-hans"):
        labels = [str(label) for label in STEP_LABELS.values()]
        verdict = str(VERDICTS["genuine"])
    assert [step[2] for step in page_steps(response.content.decode())] == labels
    assert page_verdict(response.content.decode())[1] == verdict


def test_page_of_an_unknown_number_is_404_with_the_verdict(client, certificate):
    token = sign_facts({**certificate_facts(certificate), "n": UNKNOWN_NUMBER})

    response = get_page(client, UNKNOWN_NUMBER, token)

    assert response.status_code == 404
    content = response.content.decode()
    assert page_verdict(content) == ("revoked", str(VERDICTS["unknown"]))
    assert [step[0] for step in page_steps(content)] == [
        "ok",
        "ok",
        "failed",
        "skipped",
        "skipped",
        "skipped",
    ]
    assert certificate.organization.name not in content


def test_page_of_an_unknown_number_with_a_garbage_code_is_404(client, db):
    response = get_page(client, UNKNOWN_NUMBER, "x" * 5000)

    assert response.status_code == 404
    assert page_verdict(response.content.decode()) == ("revoked", str(VERDICTS["tampered"]))


def test_page_public_history_lists_events_with_dates_and_never_reasons(client, world, certificate):
    reasons = ["年审材料逾期未交。", "已补交年审材料。", "提供虚假材料骗取证书。"]
    certificate_suspend(
        number=certificate.number, actor=world.center, reason=reasons[0], now=moment(certificate, 3)
    )
    certificate_reinstate(
        number=certificate.number, actor=world.center, reason=reasons[1], now=moment(certificate, 5)
    )
    certificate_revoke(
        number=certificate.number, actor=world.center, reason=reasons[2], now=moment(certificate, 9)
    )

    response = get_page(client, certificate.number, token_for(certificate))

    content = response.content.decode()
    assert page_verdict(content) == ("revoked", str(VERDICTS["revoked"]))
    assert page_history(content) == [
        (certificate.issued_on.isoformat(), "Issued"),
        (day_in(certificate, 3).isoformat(), "Suspended"),
        (day_in(certificate, 5).isoformat(), "Suspension lifted"),
        (day_in(certificate, 9).isoformat(), "Revoked"),
    ]
    assert [reason for reason in reasons if reason in content] == []
    # without a code, the page shows the record and the same history
    plain = client.get(f"/verify/{certificate.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page_history(plain.content.decode()) == page_history(content)
    assert [reason for reason in reasons if reason in plain.content.decode()] == []


# ---- the API


def api_verify(number: str, token: str):
    return APIClient().get(
        f"/api/v1/public/certificates/{number}/verify/", {"t": token}, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_api_verify_reports_the_steps_and_the_verdict(certificate):
    response = api_verify(certificate.number, token_for(certificate))

    assert response.status_code == 200
    body = response.json()
    assert (body["verdict"], body["message"]) == ("genuine", str(VERDICTS["genuine"]))
    assert body["steps"] == [
        {"name": "intact", "label": "The code is intact", "passed": True},
        {"name": "signed", "label": "Signed by this portal's key", "passed": True},
        {"name": "registered", "label": "Matches the register", "passed": True},
        {"name": "status", "label": "Status is valid", "passed": True},
        {"name": "validity", "label": "Within its validity period", "passed": True},
        {"name": "latest", "label": "This is the latest version", "passed": True},
    ]
    assert body["certificate"]["number"] == certificate.number
    assert [event["event"] for event in body["history"]] == ["issue"]


def test_api_verify_of_an_unknown_number_is_404_unknown(certificate):
    token = sign_facts({**certificate_facts(certificate), "n": UNKNOWN_NUMBER})

    response = api_verify(UNKNOWN_NUMBER, token)

    assert response.status_code == 404
    body = response.json()
    assert (body["verdict"], body["certificate"], body["history"]) == ("unknown", None, [])
    assert [step["passed"] for step in body["steps"]] == [True, True, False, None, None, None]


def test_api_verify_of_a_revoked_certificate_hides_the_reason(certificate, world):
    certificate_revoke(
        number=certificate.number,
        actor=world.center,
        reason="提供虚假材料骗取证书。",
        now=moment(certificate, 2),
    )

    response = api_verify(certificate.number, token_for(certificate))

    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "revoked"
    assert [
        (event["event"], timezone.localdate(datetime.fromisoformat(event["at"])))
        for event in body["history"]
    ] == [
        ("issue", certificate.issued_on),
        ("revoke", day_in(certificate, 2)),
    ]
    assert "提供虚假材料骗取证书" not in response.content.decode()


@pytest.mark.parametrize("token", ["", "a.b", "%00", "x" * 5000])
def test_api_verify_with_a_broken_token_is_tampered_not_an_error(certificate, token):
    response = api_verify(certificate.number, token)

    assert response.status_code == 200
    assert response.json()["verdict"] == "tampered"
