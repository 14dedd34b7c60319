"""Record audits (M§24): completeness checklist, chain verification, findings opening cases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from applications.models import Application
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound
from supervision import record_audits as ra
from supervision.models import Case

from ..conftest import T0

NOW = T0 + timedelta(days=30)


def logged_in(user):
    client = APIClient()
    client.force_login(user)
    return client


def open_audit(world, institution=None):
    """An audit opened, and its chain verified as the worker does after the commit."""
    audit = ra.record_audit_open(
        actor=world.center,
        institution_id=(institution or world.inst).pk,
        period_start="2026-03-01",
        period_end="2026-03-31",
        now=NOW,
    )
    return ra.record_audit_verify_chain(audit_id=audit.pk, now=NOW)


def test_the_chain_is_verified_by_a_worker_after_the_commit_not_in_the_request(
    world, flow, monkeypatch, django_capture_on_commit_callbacks
):
    """Issue #8: walking 1.7 million entries takes ~30 s, longer than a web request may; the
    audit shows the check as pending until the worker's task records it."""
    from supervision import tasks

    flow.to(flow.draft(), S.SUBMITTED, now=T0)
    sent = []
    monkeypatch.setattr(tasks.verify_record_audit_chain, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        audit = ra.record_audit_open(
            actor=world.center,
            institution_id=world.inst.pk,
            period_start="2026-03-01",
            period_end="2026-03-31",
            now=NOW,
        )
    assert (audit.chain_checked_at, sent) == (None, [audit.pk])
    page = logged_in(world.center).get(f"/supervision/audits/{audit.pk}/").content.decode()
    assert "正在后台核验整条审计链" in page

    tasks.verify_record_audit_chain(audit.pk)  # what the worker runs
    audit.refresh_from_db()
    assert audit.chain_checked_at is not None and audit.chain_problem == ""

    with django_capture_on_commit_callbacks(execute=True):
        ra.record_audit_chain_recheck(audit_id=audit.pk, actor=world.center, now=NOW)
    audit.refresh_from_db()
    assert (audit.chain_checked_at, sent) == (None, [audit.pk, audit.pk])
    with pytest.raises(NotFound):
        ra.record_audit_chain_recheck(audit_id=audit.pk, actor=world.inst_admin, now=NOW)


def test_record_audit_checklist_marks_complete_and_incomplete_records(world, flow):
    issued = flow.to(flow.draft(), S.ISSUED, now=T0)
    reported = flow.to(flow.draft(world.other_applicant), S.REPORTED, now=T0)
    flow.to(flow.draft(world.other_applicant, institution=world.other_inst), S.SUBMITTED)
    # A report wiped outside the services: the checklist finds it.
    Application.objects.filter(pk=reported.pk).update(report="")
    audit = open_audit(world)
    assert audit.chain_problem == ""
    rows = {r.application.number: r for r in ra.record_audit_checklist(audit)}
    assert set(rows) == {issued.number, reported.number}
    good, bad = rows[issued.number], rows[reported.number]
    assert (good.steps, good.report, good.evidence, good.experts, good.intact, good.complete) == (
        True,
        True,
        True,
        True,
        True,
        True,
    )
    assert (bad.steps, bad.report, bad.experts, bad.complete) == (True, False, None, False)


def test_record_audit_detects_a_state_change_outside_the_log(world, flow):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW, now=T0)
    Application.objects.filter(pk=app.pk).update(state=S.REPORTED)
    row = ra.record_audit_checklist(open_audit(world))[0]
    assert (row.steps, row.complete) == (False, False)


def test_record_audit_reports_a_broken_chain(world, flow):
    flow.to(flow.draft(), S.SUBMITTED, now=T0)
    entry = AuditEntry.objects.order_by("seq").first()
    if connection.vendor == "postgresql":
        pytest.skip("the append-only trigger forbids the tampering this test simulates")
    AuditEntry.objects.filter(pk=entry.pk).update(actor_name="someone-else")
    audit = open_audit(world)
    assert f"entry #{entry.seq} was modified" in audit.chain_problem
    rows = ra.record_audit_checklist(audit)
    assert rows[0].intact is False


def test_record_audit_finding_opens_a_case_once(world, flow):
    app = flow.to(flow.draft(), S.SUBMITTED, now=T0)
    audit = open_audit(world)
    finding = ra.record_audit_finding_add(
        audit_id=audit.pk, actor=world.center, text="现场记录缺失。", application_id=app.pk, now=NOW
    )
    finding = ra.record_audit_finding_case(finding_id=finding.pk, actor=world.center, now=NOW)
    case = Case.objects.get()
    assert (finding.case, case.application, case.details, case.filer) == (
        case,
        app,
        "现场记录缺失。",
        world.center,
    )
    with pytest.raises(Conflict):
        ra.record_audit_finding_case(finding_id=finding.pk, actor=world.center, now=NOW)
    ra.record_audit_close(
        audit_id=audit.pk, actor=world.center, conclusion="记录基本完整。", now=NOW
    )
    with pytest.raises(Conflict):
        ra.record_audit_finding_add(audit_id=audit.pk, actor=world.center, text="x", now=NOW)


def test_record_audit_bad_input(world, flow):
    other = flow.to(flow.draft(world.other_applicant, institution=world.other_inst), S.SUBMITTED)
    with pytest.raises(InvalidInput):
        ra.record_audit_open(
            actor=world.center,
            institution_id=world.inst.pk,
            period_start="2026-03-31",
            period_end="2026-03-01",
            now=NOW,
        )
    with pytest.raises(NotFound):
        ra.record_audit_open(
            actor=world.inst_admin,
            institution_id=world.inst.pk,
            period_start="2026-03-01",
            period_end="2026-03-31",
            now=NOW,
        )
    audit = open_audit(world)
    with pytest.raises(InvalidInput):
        ra.record_audit_finding_add(
            audit_id=audit.pk, actor=world.center, text="x", application_id=other.pk, now=NOW
        )


def test_record_audit_pages_center_only_and_constant_queries(world, flow):
    flow.to(flow.draft(), S.ISSUED, now=T0)
    audit = open_audit(world)
    center = logged_in(world.center)
    with CaptureQueriesContext(connection) as one:
        page = center.get(f"/supervision/audits/{audit.pk}/")
    assert page.status_code == 200
    flow.to(flow.draft(world.other_applicant), S.PUBLICITY, now=T0)
    flow.to(flow.draft(world.assoc_applicant, kind="innovation"), S.PUBLICITY, now=T0)
    with CaptureQueriesContext(connection) as three:
        page = center.get(f"/supervision/audits/{audit.pk}/")
    assert page.content.decode().count("✓") >= 15
    assert len(three) == len(one)
    for user in (world.inst_admin, world.applicant):
        client = logged_in(user)
        assert client.get(f"/supervision/audits/{audit.pk}/").status_code == 404
        assert client.get("/supervision/audits/").status_code == 404
    response = center.post(
        "/supervision/audits/",
        {"institution": world.inst.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert response.status_code == 302
