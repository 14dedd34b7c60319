"""Suspension, revocation and lifting (M§19–20): the center decides, for one of the listed
grounds, with an explanation and optional evidence; the issuing institution is told and relays
the notice to the holder. Anyone else gets a 404; a refused decision stores nothing."""

from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from certificates.enums import CertificateStatus as C
from certificates.enums import DecisionKind, DecisionReason
from certificates.models import Certificate, CertificateDecision
from certificates.services import (
    certificate_decide,
    certificate_decision_relay,
    certificate_reinstate,
)
from ietsportal.audit.models import AuditEntry
from ietsportal.demo import DEMO_PDF
from ietsportal.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedType
from ietsportal.notifications.models import Notification
from tests.conftest import pdf_upload
from tests.factories import UserFactory
from tests.helpers import issued_certificate

NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
M19_GROUNDS = [
    DecisionReason.LICENCE_CANCELLED,
    DecisionReason.FALSE_MATERIAL,
    DecisionReason.REFUSED_INQUIRY,
    DecisionReason.SERIOUS_VIOLATION,
    DecisionReason.NONCOMPLIANT,
]


certificate_of = partial(
    issued_certificate, issued_on=date(2026, 3, 10), status_changed_at=NOW - timedelta(days=175)
)


def decide(certificate, actor, kind=DecisionKind.SUSPEND, grounds="noncompliant", **kwargs):
    kwargs.setdefault("explanation", "经核实，不符合相关规定。")
    return certificate_decide(
        number=certificate.number, actor=actor, kind=kind, grounds=grounds, now=NOW, **kwargs
    )


def notified(key):
    return list(
        Notification.objects.filter(key=key)
        .order_by("recipient__username", "id")
        .values_list("recipient__username", "params")
    )


def assert_nothing_stored(certificate, status=C.VALID):
    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_changed_at) == (
        status,
        NOW - timedelta(days=175),
    )
    assert CertificateDecision.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="certificate.").exists()
    assert Notification.objects.count() == 0


def stored_files(settings):
    root = settings.MEDIA_ROOT / "decisions"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# ---- the center decides


@pytest.mark.parametrize("grounds", M19_GROUNDS)
def test_decision_suspends_for_each_ground(world, grounds):
    certificate = certificate_of(world)

    result = decide(certificate, world.center, DecisionKind.SUSPEND, grounds)

    assert result.pk == certificate.pk
    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_changed_at) == (C.SUSPENDED, NOW)
    decision = CertificateDecision.objects.get()
    assert (
        decision.certificate,
        decision.kind,
        decision.reason,
        decision.explanation,
        decision.evidence.name,
        decision.evidence_name,
        decision.decided_by,
        decision.decided_at,
        decision.relayed_by,
        decision.relayed_at,
    ) == (
        certificate,
        DecisionKind.SUSPEND,
        grounds,
        "经核实，不符合相关规定。",
        "",
        "",
        world.center,
        NOW,
        None,
        None,
    )
    entry = AuditEntry.objects.get(action="certificate.suspend")
    assert (entry.actor_name, entry.object_id, entry.created_at, entry.data) == (
        "center",
        str(certificate.pk),
        NOW,
        {
            "from": "valid",
            "to": "suspended",
            "grounds": grounds,
            "reason": "经核实，不符合相关规定。",
            "decision": decision.pk,
        },
    )
    # Only the issuing institution is told (M§20); the holder hears it from the institution.
    assert notified("certificate.decision_to_relay") == [
        ("inst-a", {"certificate": certificate.number, "decision": "suspend"})
    ]
    assert Notification.objects.filter(recipient=world.applicant).count() == 0


@pytest.mark.parametrize("grounds", M19_GROUNDS)
@pytest.mark.parametrize("source", [C.VALID, C.SUSPENDED])
def test_decision_revokes_for_each_ground(world, grounds, source):
    certificate = certificate_of(world, status=source)

    decide(certificate, world.center, DecisionKind.REVOKE, grounds, explanation="吊销。")

    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_changed_at) == (C.REVOKED, NOW)
    decision = CertificateDecision.objects.get()
    assert (decision.kind, decision.reason) == (DecisionKind.REVOKE, grounds)
    entry = AuditEntry.objects.get(action="certificate.revoke")
    assert (entry.data["from"], entry.data["to"], entry.data["grounds"]) == (
        source,
        "revoked",
        grounds,
    )


def test_decision_lifts_a_suspension(world):
    certificate = certificate_of(world, status=C.SUSPENDED)

    certificate_reinstate(number=certificate.number, actor=world.center, reason="已整改。", now=NOW)

    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_changed_at) == (C.VALID, NOW)
    decision = CertificateDecision.objects.get()
    assert (decision.kind, decision.reason, decision.explanation) == (
        DecisionKind.REINSTATE,
        DecisionReason.RESOLVED,
        "已整改。",
    )
    assert AuditEntry.objects.get(action="certificate.reinstate").data["to"] == "valid"
    assert notified("certificate.decision_to_relay") == [
        ("inst-a", {"certificate": certificate.number, "decision": "reinstate"})
    ]


def test_decision_notifies_the_admins_of_the_issuing_institution_only(world):
    second_admin = UserFactory(institution_admin=True, institution=world.local_inst)
    certificate = certificate_of(world, institution=world.local_inst)

    decide(certificate, world.center)

    assert [u for u, _p in notified("certificate.decision_to_relay")] == sorted(
        ["inst-local", second_admin.username]
    )


@pytest.mark.parametrize(
    "who", ["applicant", "other_applicant", "inst_admin", "other_admin", "experts", "assessors"]
)
def test_decision_by_anyone_but_the_center_is_not_found(world, who):
    certificate = certificate_of(world)
    actor = getattr(world, who)
    actor = actor[0] if isinstance(actor, list) else actor

    with pytest.raises(NotFound) as exc:
        decide(certificate, actor, DecisionKind.REVOKE)

    assert exc.value.status_code == 404
    assert_nothing_stored(certificate)


def test_decision_by_an_inactive_center_user_is_not_found(world):
    certificate = certificate_of(world)
    world.center.is_active = False
    world.center.save()

    with pytest.raises(NotFound):
        decide(certificate, world.center)

    assert_nothing_stored(certificate)


def test_decision_on_an_unknown_certificate_is_not_found(world):
    with pytest.raises(NotFound):
        certificate_decide(
            number="IETS-2026-000000",
            actor=world.center,
            kind="suspend",
            grounds="noncompliant",
            explanation="说明",
            now=NOW,
        )


@pytest.mark.parametrize("explanation", ["", "   \n", None])
def test_decision_without_an_explanation_is_refused(world, explanation):
    certificate = certificate_of(world)

    with pytest.raises(InvalidInput) as exc:
        decide(certificate, world.center, explanation=explanation)

    assert (exc.value.status_code, exc.value.field) == (400, "reason")
    assert_nothing_stored(certificate)


def test_decision_with_an_overlong_explanation_is_refused(world):
    certificate = certificate_of(world)

    with pytest.raises(InvalidInput):
        decide(certificate, world.center, explanation="长" * 5001)

    assert_nothing_stored(certificate)


@pytest.mark.parametrize(
    ("field", "kind", "grounds"),
    [
        ("grounds", "suspend", "dislike"),
        ("grounds", "revoke", ""),
        ("kind", "expire", "noncompliant"),
        ("kind", "replace", "noncompliant"),
    ],
)
def test_decision_with_unknown_grounds_or_kind_is_refused(world, field, kind, grounds):
    certificate = certificate_of(world)

    with pytest.raises(InvalidInput) as exc:
        decide(certificate, world.center, kind, grounds)

    assert (exc.value.status_code, exc.value.field) == (400, field)
    assert_nothing_stored(certificate)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (C.VALID, DecisionKind.REINSTATE),
        (C.SUSPENDED, DecisionKind.SUSPEND),
        (C.REVOKED, DecisionKind.SUSPEND),
        (C.REVOKED, DecisionKind.REVOKE),
        (C.REVOKED, DecisionKind.REINSTATE),
        (C.EXPIRED, DecisionKind.SUSPEND),
        (C.EXPIRED, DecisionKind.REVOKE),
        (C.REPLACED, DecisionKind.REVOKE),
    ],
)
def test_decision_in_the_wrong_state_is_a_conflict(world, status, kind):
    certificate = certificate_of(world, status=status)

    with pytest.raises(Conflict) as exc:
        decide(certificate, world.center, kind)

    assert exc.value.status_code == 409
    assert_nothing_stored(certificate, status)


# ---- evidence


def test_decision_evidence_is_stored_with_its_name(world, settings):
    certificate = certificate_of(world)

    decide(certificate, world.center, DecisionKind.REVOKE, evidence=pdf_upload("处罚决定书.pdf"))

    decision = CertificateDecision.objects.get()
    assert decision.evidence_name == "处罚决定书.pdf"
    with decision.evidence.open("rb") as stored:
        assert stored.read() == DEMO_PDF
    assert len(stored_files(settings)) == 1
    assert Certificate.objects.get(pk=certificate.pk).status == C.REVOKED


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(lambda: pdf_upload("证据.png"), id="pdf-named-png"),
        pytest.param(
            lambda: SimpleUploadedFile("证据.pdf", b"just some text, not a PDF", "application/pdf"),
            id="text-named-pdf",
        ),
    ],
)
def test_decision_with_mislabelled_evidence_is_refused(world, settings, upload):
    certificate = certificate_of(world)

    with pytest.raises(UnsupportedType) as exc:
        decide(certificate, world.center, evidence=upload())

    assert exc.value.status_code == 415
    assert_nothing_stored(certificate)
    assert stored_files(settings) == []


def test_decision_with_oversized_evidence_is_refused(world, settings):
    settings.EVIDENCE_MAX_BYTES = len(DEMO_PDF) + 10
    certificate = certificate_of(world)

    with pytest.raises(TooLarge) as exc:
        decide(certificate, world.center, evidence=pdf_upload(content=DEMO_PDF + b"\n" * 11))

    assert (exc.value.status_code, exc.value.field) == (413, "evidence")
    assert_nothing_stored(certificate)
    assert stored_files(settings) == []


def test_decision_with_evidence_named_with_hidden_characters_is_refused(world, settings):
    certificate = certificate_of(world)

    with pytest.raises(InvalidInput):
        decide(certificate, world.center, evidence=pdf_upload("证据\u202efdp.exe.pdf"))

    assert_nothing_stored(certificate)
    assert stored_files(settings) == []


def test_decision_evidence_is_not_stored_when_the_state_refuses_it(world, settings):
    certificate = certificate_of(world, status=C.REVOKED)

    with pytest.raises(Conflict):
        decide(certificate, world.center, DecisionKind.REVOKE, evidence=pdf_upload())

    assert stored_files(settings) == []


# ---- the institution relays


def test_decision_relayed_by_the_institution_notifies_the_holder(world):
    second_member = UserFactory(organization=world.org, username="applicant-2")
    certificate = certificate_of(world)
    decide(certificate, world.center, DecisionKind.REVOKE, "false_material")
    decision = CertificateDecision.objects.get()
    later = NOW + timedelta(hours=3)

    relayed = certificate_decision_relay(decision_id=decision.pk, actor=world.inst_admin, now=later)

    assert relayed.pk == decision.pk
    decision.refresh_from_db()
    assert (decision.relayed_by, decision.relayed_at) == (world.inst_admin, later)
    entry = AuditEntry.objects.get(action="certificate.decision_relay")
    assert (entry.actor_name, entry.object_id, entry.created_at, entry.data) == (
        "inst-a",
        str(certificate.pk),
        later,
        {"decision": decision.pk, "kind": "revoke"},
    )
    params = {"certificate": certificate.number, "decision": "revoke"}
    assert notified("certificate.decision") == [
        ("applicant", params),
        (second_member.username, params),
    ]
    # The notice does not change the decision itself.
    assert Certificate.objects.get(pk=certificate.pk).status == C.REVOKED


def test_decision_relayed_twice_is_a_conflict(world):
    certificate = certificate_of(world)
    decide(certificate, world.center)
    decision = CertificateDecision.objects.get()
    certificate_decision_relay(decision_id=decision.pk, actor=world.inst_admin, now=NOW)

    with pytest.raises(Conflict) as exc:
        certificate_decision_relay(
            decision_id=decision.pk, actor=world.inst_admin, now=NOW + timedelta(days=1)
        )

    assert exc.value.status_code == 409
    decision.refresh_from_db()
    assert decision.relayed_at == NOW
    assert AuditEntry.objects.filter(action="certificate.decision_relay").count() == 1
    assert Notification.objects.filter(key="certificate.decision").count() == 1


@pytest.mark.parametrize("who", ["other_admin", "local_admin", "applicant", "center", "assessors"])
def test_decision_relay_by_anyone_but_the_issuing_institution_is_not_found(world, who):
    certificate = certificate_of(world)
    decide(certificate, world.center)
    decision = CertificateDecision.objects.get()
    actor = getattr(world, who)
    actor = actor[0] if isinstance(actor, list) else actor

    with pytest.raises(NotFound):
        certificate_decision_relay(decision_id=decision.pk, actor=actor, now=NOW)

    decision.refresh_from_db()
    assert (decision.relayed_by, decision.relayed_at) == (None, None)
    assert not AuditEntry.objects.filter(action="certificate.decision_relay").exists()
    assert Notification.objects.filter(key="certificate.decision").count() == 0


def test_decision_relay_of_an_unknown_decision_is_not_found(world):
    with pytest.raises(NotFound):
        certificate_decision_relay(decision_id=999999, actor=world.inst_admin, now=NOW)


# ---- the API


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_decision_api_records_the_decision_and_answers_the_detail(world):
    certificate = certificate_of(world)

    response = api(world.center).post(
        f"/api/v1/certificates/{certificate.number}/decisions/",
        {"kind": "suspend", "grounds": "refused_inquiry", "explanation": "拒绝配合调查。"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    decision = CertificateDecision.objects.get()
    assert (body["number"], body["status"]) == (certificate.number, "suspended")
    assert body["decisions"] == [
        {
            "id": decision.pk,
            "kind": "suspend",
            "reason": "refused_inquiry",
            "explanation": "拒绝配合调查。",
            "decided_at": body["decisions"][0]["decided_at"],
            "relayed_at": None,
            "reconsiderations": [],
        }
    ]
    assert decision.decided_by == world.center


def test_decision_api_takes_evidence_as_multipart(world, settings):
    certificate = certificate_of(world)

    response = api(world.center).post(
        f"/api/v1/certificates/{certificate.number}/decisions/",
        {
            "kind": "revoke",
            "grounds": "licence_cancelled",
            "explanation": "营业执照已被吊销。",
            "evidence": pdf_upload("吊销通知.pdf"),
        },
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "revoked"
    decision = CertificateDecision.objects.get()
    assert decision.evidence_name == "吊销通知.pdf"
    with decision.evidence.open("rb") as stored:
        assert stored.read() == DEMO_PDF


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "suspend", "grounds": "noncompliant"}, 400),
        ({"kind": "suspend", "grounds": "noncompliant", "explanation": "  "}, 400),
        ({"kind": "suspend", "grounds": "because", "explanation": "说明"}, 400),
        ({"kind": "reinstate", "grounds": "resolved", "explanation": "说明"}, 409),
    ],
)
def test_decision_api_refusals(world, body, code):
    certificate = certificate_of(world)

    response = api(world.center).post(
        f"/api/v1/certificates/{certificate.number}/decisions/", body, format="json"
    )

    assert response.status_code == code
    assert_nothing_stored(certificate)


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (lambda: pdf_upload("证据.docx"), 415),
        (lambda: pdf_upload(content=DEMO_PDF + b"0" * 100), 413),
    ],
)
def test_decision_api_refuses_bad_evidence(world, settings, upload, code):
    settings.EVIDENCE_MAX_BYTES = len(DEMO_PDF) + 50
    certificate = certificate_of(world)

    response = api(world.center).post(
        f"/api/v1/certificates/{certificate.number}/decisions/",
        {"kind": "revoke", "grounds": "noncompliant", "explanation": "说明", "evidence": upload()},
        format="multipart",
    )

    assert response.status_code == code
    assert_nothing_stored(certificate)
    assert stored_files(settings) == []


@pytest.mark.parametrize("who", ["applicant", "inst_admin", "other_admin", "other_applicant"])
def test_decision_api_by_anyone_but_the_center_is_not_found(world, who):
    certificate = certificate_of(world)

    response = api(getattr(world, who)).post(
        f"/api/v1/certificates/{certificate.number}/decisions/",
        {"kind": "revoke", "grounds": "noncompliant", "explanation": "说明"},
        format="json",
    )

    assert response.status_code == 404
    assert_nothing_stored(certificate)


def test_decision_api_relay(world):
    certificate = certificate_of(world)
    decide(certificate, world.center)
    decision = CertificateDecision.objects.get()
    url = f"/api/v1/certificates/{certificate.number}/decisions/{decision.pk}/relay/"

    refused = {
        who: api(getattr(world, who)).post(url).status_code
        for who in ("other_admin", "applicant", "center", "other_applicant")
    }
    first = api(world.inst_admin).post(url)
    second = api(world.inst_admin).post(url)

    assert refused == {"other_admin": 404, "applicant": 404, "center": 404, "other_applicant": 404}
    assert first.status_code == 200
    assert first.json()["decisions"][0]["relayed_at"] is not None
    assert second.status_code == 409
    decision.refresh_from_db()
    assert decision.relayed_by == world.inst_admin
    assert [u for u, _p in notified("certificate.decision")] == ["applicant"]
