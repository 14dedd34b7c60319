"""Changes (换发, M§21) and replacement copies (补发, M§22): the holder files a request with
the institution — a registration change within 30 days of it, a split, merger or reorganisation
within 90 days (late requests flagged), a lost certificate at any time; the institution verifies
it; the center approves it and issues a new version with the same number, so that the QR code of
an older copy verifies as superseded."""

from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest

from certificates.enums import CertificateStatus as C
from certificates.enums import Edition, RequestKind, RequestState
from certificates.models import Certificate, CertificateRequest
from certificates.services import (
    certificate_request_decide,
    certificate_request_file,
    certificate_request_verify,
)
from certificates.signing import certificate_facts, sign_facts
from certificates.verification import verify_presented
from ietsportal.accounts.models import Organization
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound
from ietsportal.notifications.models import Notification
from tests.helpers import issued_certificate

NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # 2026-09-01 10:00 in Beijing
TODAY = date(2026, 9, 1)


certificate_of = partial(
    issued_certificate, issued_on=date(2026, 3, 10), status_changed_at=NOW - timedelta(days=175)
)


def file(world, certificate, kind=RequestKind.CHANGE, *, actor=None, now=NOW, **kwargs):
    kwargs.setdefault("details", "公司名称变更。")
    if kind != RequestKind.REISSUE:
        kwargs.setdefault("changed_on", TODAY - timedelta(days=10))
    return certificate_request_file(
        number=certificate.number, actor=actor or world.applicant, kind=kind, now=now, **kwargs
    )


def verified(world, certificate, kind=RequestKind.CHANGE, **kwargs):
    request = file(world, certificate, kind, **kwargs)
    certificate_request_verify(
        request_id=request.pk, actor=world.inst_admin, approve=True, note="核实无误。", now=NOW
    )
    request.refresh_from_db()
    return request


def notified(key="certificate.request"):
    return list(
        Notification.objects.filter(key=key)
        .order_by("recipient__username", "id")
        .values_list("recipient__username", "params")
    )


def actor_of(world, who):
    actor = getattr(world, who)
    return actor[0] if isinstance(actor, list) else actor


# ---- filing


@pytest.mark.parametrize(
    ("kind", "days_ago", "late"),
    [
        (RequestKind.CHANGE, 0, False),
        (RequestKind.CHANGE, 30, False),
        (RequestKind.CHANGE, 31, True),
        (RequestKind.MAJOR_CHANGE, 30, False),
        (RequestKind.MAJOR_CHANGE, 90, False),
        (RequestKind.MAJOR_CHANGE, 91, True),
        (RequestKind.CHANGE, 400, True),
    ],
)
def test_request_for_a_change_is_filed_and_flagged_when_late(world, kind, days_ago, late):
    certificate = certificate_of(world)
    changed_on = TODAY - timedelta(days=days_ago)

    request = file(world, certificate, kind, changed_on=changed_on, new_name="北京甲新科技有限公司")

    request.refresh_from_db()
    assert (
        request.certificate,
        request.kind,
        request.changed_on,
        request.details,
        request.new_name,
        request.late,
        request.state,
        request.filed_by,
        request.filed_at,
    ) == (
        certificate,
        kind,
        changed_on,
        "公司名称变更。",
        "北京甲新科技有限公司",
        late,
        RequestState.FILED,
        world.applicant,
        NOW,
    )
    entry = AuditEntry.objects.get(action="certificate.request_file")
    assert (entry.actor_name, entry.object_id, entry.data) == (
        "applicant",
        str(certificate.pk),
        {"request": request.pk, "kind": kind, "late": late},
    )
    # The request goes to the institution first (M§21).
    assert notified() == [
        ("inst-a", {"certificate": certificate.number, "request": kind, "state": "filed"})
    ]


def test_request_late_is_counted_in_beijing_days(world):
    certificate = certificate_of(world)

    # 2026-09-01 23:30 UTC is already 2 September in Beijing: 31 days after 2 August.
    request = file(
        world,
        certificate,
        now=datetime(2026, 9, 1, 16, 30, tzinfo=UTC),
        changed_on=date(2026, 8, 2),
    )

    assert request.late is True


def test_request_for_a_replacement_copy_takes_no_date_nor_name(world):
    certificate = certificate_of(world)

    request = file(
        world,
        certificate,
        RequestKind.REISSUE,
        details="证书遗失。",
        changed_on=TODAY - timedelta(days=200),
        new_name="别的名称",
    )

    request.refresh_from_db()
    assert (request.kind, request.changed_on, request.new_name, request.late) == (
        RequestKind.REISSUE,
        None,
        "",
        False,
    )


@pytest.mark.parametrize("kind", [RequestKind.CHANGE, RequestKind.MAJOR_CHANGE])
def test_request_for_a_change_needs_its_date(world, kind):
    certificate = certificate_of(world)

    with pytest.raises(InvalidInput) as exc:
        file(world, certificate, kind, changed_on=None)

    assert (exc.value.status_code, exc.value.field) == (400, "changed_on")
    assert CertificateRequest.objects.count() == 0


def test_request_for_a_change_in_the_future_is_refused(world):
    certificate = certificate_of(world)

    with pytest.raises(InvalidInput) as exc:
        file(world, certificate, changed_on=TODAY + timedelta(days=1))

    assert exc.value.field == "changed_on"
    assert CertificateRequest.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "upgrade"}, "kind"),
        ({"details": "  "}, "details"),
        ({"details": "详" * 5001}, "details"),
        ({"new_name": "名" * 201}, "new_name"),
    ],
)
def test_request_with_bad_input_is_refused(world, kwargs, field):
    certificate = certificate_of(world)
    kind = kwargs.pop("kind", RequestKind.CHANGE)

    with pytest.raises(InvalidInput) as exc:
        file(world, certificate, kind, **kwargs)

    assert exc.value.field == field
    assert CertificateRequest.objects.count() == 0


@pytest.mark.parametrize("who", ["other_applicant", "inst_admin", "center", "assessors"])
def test_request_filed_by_anyone_but_the_holder_is_not_found(world, who):
    certificate = certificate_of(world)

    with pytest.raises(NotFound):
        file(world, certificate, actor=actor_of(world, who))

    assert CertificateRequest.objects.count() == 0
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("status", [C.SUSPENDED, C.REVOKED, C.EXPIRED, C.REPLACED])
def test_request_for_a_certificate_not_in_force_is_a_conflict(world, status):
    certificate = certificate_of(world, status=status)

    with pytest.raises(Conflict):
        file(world, certificate, RequestKind.REISSUE)

    assert CertificateRequest.objects.count() == 0


@pytest.mark.parametrize("first_state", ["filed", "verified"])
def test_request_while_another_is_open_is_a_conflict(world, first_state):
    certificate = certificate_of(world)
    first = verified(world, certificate) if first_state == "verified" else file(world, certificate)

    with pytest.raises(Conflict) as exc:
        file(world, certificate, RequestKind.REISSUE)

    assert exc.value.status_code == 409
    assert list(CertificateRequest.objects.values_list("pk", flat=True)) == [first.pk]


def test_request_after_the_last_was_rejected_may_be_filed(world):
    certificate = certificate_of(world)
    first = file(world, certificate)
    certificate_request_verify(
        request_id=first.pk, actor=world.inst_admin, approve=False, note="材料不全。", now=NOW
    )

    second = file(world, certificate, RequestKind.REISSUE)

    assert sorted(CertificateRequest.objects.values_list("pk", "state")) == [
        (first.pk, RequestState.REJECTED),
        (second.pk, RequestState.FILED),
    ]


# ---- the institution verifies


def test_request_verified_by_the_institution_goes_to_the_center(world):
    certificate = certificate_of(world)
    request = file(world, certificate)
    Notification.objects.all().delete()
    later = NOW + timedelta(days=2)

    certificate_request_verify(
        request_id=request.pk, actor=world.inst_admin, approve=True, note="核实无误。", now=later
    )

    request.refresh_from_db()
    assert (
        request.state,
        request.verified_by,
        request.verified_at,
        request.verification_note,
    ) == (RequestState.VERIFIED, world.inst_admin, later, "核实无误。")
    entry = AuditEntry.objects.get(action="certificate.request_verify")
    assert (entry.actor_name, entry.data) == (
        "inst-a",
        {"request": request.pk, "state": "verified"},
    )
    params = {"certificate": certificate.number, "request": "change", "state": "verified"}
    assert notified() == [("applicant", params), ("center", params)]


def test_request_rejected_by_the_institution_tells_the_holder_only(world):
    certificate = certificate_of(world)
    request = file(world, certificate)
    Notification.objects.all().delete()

    certificate_request_verify(
        request_id=request.pk, actor=world.inst_admin, approve=False, note="信息不实。", now=NOW
    )

    request.refresh_from_db()
    assert (request.state, request.verification_note) == (RequestState.REJECTED, "信息不实。")
    assert notified() == [
        (
            "applicant",
            {"certificate": certificate.number, "request": "change", "state": "rejected"},
        )
    ]


@pytest.mark.parametrize("who", ["other_admin", "local_admin", "applicant", "center"])
def test_request_verified_by_anyone_but_the_issuing_institution_is_not_found(world, who):
    certificate = certificate_of(world)
    request = file(world, certificate)

    with pytest.raises(NotFound):
        certificate_request_verify(
            request_id=request.pk, actor=actor_of(world, who), approve=True, note="好", now=NOW
        )

    request.refresh_from_db()
    assert (request.state, request.verified_by) == (RequestState.FILED, None)


def test_request_verified_twice_is_a_conflict(world):
    certificate = certificate_of(world)
    request = verified(world, certificate)

    with pytest.raises(Conflict):
        certificate_request_verify(
            request_id=request.pk, actor=world.inst_admin, approve=False, note="改判", now=NOW
        )

    request.refresh_from_db()
    assert (request.state, request.verification_note) == (RequestState.VERIFIED, "核实无误。")
    assert AuditEntry.objects.filter(action="certificate.request_verify").count() == 1


def test_request_verification_needs_a_note(world):
    certificate = certificate_of(world)
    request = file(world, certificate)

    with pytest.raises(InvalidInput) as exc:
        certificate_request_verify(
            request_id=request.pk, actor=world.inst_admin, approve=True, note=" ", now=NOW
        )

    assert exc.value.field == "note"
    assert CertificateRequest.objects.get().state == RequestState.FILED


# ---- the center decides


def test_request_change_approved_issues_a_new_version_under_the_new_name(
    world, django_capture_on_commit_callbacks
):
    certificate = certificate_of(world)
    old_token = sign_facts(certificate_facts(certificate))
    request = verified(world, certificate, new_name="北京甲新科技有限公司")
    Notification.objects.all().delete()
    later = NOW + timedelta(days=5)

    with django_capture_on_commit_callbacks() as callbacks:
        certificate_request_decide(
            request_id=request.pk, actor=world.center, approve=True, note="同意换发。", now=later
        )

    certificate.refresh_from_db()
    assert (
        certificate.number,
        certificate.version,
        certificate.edition,
        certificate.status,
        certificate.status_changed_at,
    ) == (certificate.number, 2, Edition.CHANGED, C.VALID, later)
    request.refresh_from_db()
    assert (
        request.state,
        request.decided_by,
        request.decided_at,
        request.decision_note,
        request.resulting_version,
    ) == (RequestState.APPROVED, world.center, later, "同意换发。", 2)
    assert Organization.objects.get(pk=world.org.pk).name == "北京甲新科技有限公司"
    rename = AuditEntry.objects.get(action="organization.rename")
    assert (rename.actor_name, rename.object_id, rename.data) == (
        "center",
        str(world.org.pk),
        {"from": "北京甲科技有限公司", "to": "北京甲新科技有限公司"},
    )
    change = AuditEntry.objects.get(action="certificate.change")
    assert (change.object_id, change.data) == (
        str(certificate.pk),
        {"request": request.pk, "version": 2},
    )
    assert AuditEntry.objects.get(action="certificate.request_decide").data == {
        "request": request.pk,
        "state": "approved",
    }
    # The PDF of the new version is rendered in Celery after commit.
    assert [c.__qualname__ for c in callbacks].count("queue_pdf_render.<locals>._send") == 1
    params = {"certificate": certificate.number, "request": "change", "state": "approved"}
    assert notified() == [("applicant", params), ("inst-a", params)]

    # The old copy's QR code now says it was superseded; the new one is genuine.
    old = verify_presented(
        number=certificate.number, token=old_token, certificate=certificate, today=TODAY
    )
    assert old.verdict == "superseded"
    assert [(s.name, s.passed) for s in old.steps] == [
        ("intact", True),
        ("signed", True),
        ("registered", True),
        ("status", True),
        ("validity", True),
        ("latest", False),
    ]
    new_token = sign_facts(certificate_facts(certificate))
    assert (
        verify_presented(
            number=certificate.number, token=new_token, certificate=certificate, today=TODAY
        ).verdict
        == "genuine"
    )


def test_request_superseded_copy_is_shown_on_the_verification_page(world, client):
    certificate = certificate_of(world)
    old_token = sign_facts(certificate_facts(certificate))
    request = verified(world, certificate, RequestKind.REISSUE, details="证书遗失。")
    certificate_request_decide(
        request_id=request.pk, actor=world.center, approve=True, note="同意补发。", now=NOW
    )

    response = client.get(f"/verify/{certificate.number}/", {"t": old_token})

    assert response.status_code == 200
    assert response.context["verification"].verdict == "superseded"
    assert [e["event"] for e in response.context["history"]] == ["reissue"]


def test_request_reissue_approved_issues_a_replacement_copy(world):
    certificate = certificate_of(world)
    request = verified(world, certificate, RequestKind.REISSUE, details="证书遗失。")

    certificate_request_decide(
        request_id=request.pk, actor=world.center, approve=True, note="同意补发。", now=NOW
    )

    certificate.refresh_from_db()
    assert (certificate.version, certificate.edition, certificate.status) == (
        2,
        Edition.REISSUED,
        C.VALID,
    )
    assert AuditEntry.objects.get(action="certificate.reissue").data == {
        "request": request.pk,
        "version": 2,
    }
    assert not AuditEntry.objects.filter(action="organization.rename").exists()
    assert Organization.objects.get(pk=world.org.pk).name == "北京甲科技有限公司"


def test_request_versions_count_up_with_each_approval(world):
    certificate = certificate_of(world)
    for kind, edition in (
        (RequestKind.CHANGE, Edition.CHANGED),
        (RequestKind.REISSUE, Edition.REISSUED),
        (RequestKind.MAJOR_CHANGE, Edition.CHANGED),
    ):
        request = verified(world, certificate, kind)
        certificate_request_decide(
            request_id=request.pk, actor=world.center, approve=True, note="同意。", now=NOW
        )
        certificate.refresh_from_db()
        assert (certificate.edition, request.certificate.number) == (edition, certificate.number)

    assert certificate.version == 4
    assert list(CertificateRequest.objects.values_list("resulting_version", flat=True)) == [2, 3, 4]


def test_request_rejected_by_the_center_leaves_the_certificate(world):
    certificate = certificate_of(world)
    request = verified(world, certificate, new_name="别的名称")

    certificate_request_decide(
        request_id=request.pk, actor=world.center, approve=False, note="不予换发。", now=NOW
    )

    certificate.refresh_from_db()
    assert (certificate.version, certificate.edition, certificate.status_changed_at) == (
        1,
        Edition.ORIGINAL,
        NOW - timedelta(days=175),
    )
    request.refresh_from_db()
    assert (request.state, request.resulting_version, request.decision_note) == (
        RequestState.REJECTED,
        None,
        "不予换发。",
    )
    assert Organization.objects.get(pk=world.org.pk).name == "北京甲科技有限公司"
    assert not AuditEntry.objects.filter(action="certificate.change").exists()


def test_request_decided_before_verification_is_a_conflict(world):
    certificate = certificate_of(world)
    request = file(world, certificate)

    with pytest.raises(Conflict):
        certificate_request_decide(
            request_id=request.pk, actor=world.center, approve=True, note="同意", now=NOW
        )

    assert CertificateRequest.objects.get().state == RequestState.FILED
    assert Certificate.objects.get().version == 1


def test_request_decided_twice_is_a_conflict(world):
    certificate = certificate_of(world)
    request = verified(world, certificate)
    certificate_request_decide(
        request_id=request.pk, actor=world.center, approve=True, note="同意", now=NOW
    )

    with pytest.raises(Conflict):
        certificate_request_decide(
            request_id=request.pk, actor=world.center, approve=True, note="再次同意", now=NOW
        )

    assert Certificate.objects.get().version == 2


@pytest.mark.parametrize("who", ["applicant", "inst_admin", "other_admin", "experts"])
def test_request_decided_by_anyone_but_the_center_is_not_found(world, who):
    certificate = certificate_of(world)
    request = verified(world, certificate)

    with pytest.raises(NotFound):
        certificate_request_decide(
            request_id=request.pk, actor=actor_of(world, who), approve=True, note="同意", now=NOW
        )

    assert CertificateRequest.objects.get().state == RequestState.VERIFIED
    assert Certificate.objects.get().version == 1


def test_request_decision_needs_a_note(world):
    certificate = certificate_of(world)
    request = verified(world, certificate)

    with pytest.raises(InvalidInput):
        certificate_request_decide(
            request_id=request.pk, actor=world.center, approve=True, note="", now=NOW
        )

    assert CertificateRequest.objects.get().state == RequestState.VERIFIED


def test_request_approval_of_a_certificate_suspended_meanwhile_is_a_conflict(world):
    certificate = certificate_of(world)
    request = verified(world, certificate, new_name="别的名称")
    Certificate.objects.filter(pk=certificate.pk).update(status=C.SUSPENDED)

    with pytest.raises(Conflict):
        certificate_request_decide(
            request_id=request.pk, actor=world.center, approve=True, note="同意", now=NOW
        )

    request.refresh_from_db()
    assert (request.state, request.decided_by) == (RequestState.VERIFIED, None)
    certificate.refresh_from_db()
    assert (certificate.version, certificate.organization.name) == (1, "北京甲科技有限公司")
