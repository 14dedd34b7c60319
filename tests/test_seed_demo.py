"""`manage.py seed_demo` (DESIGN.md public contract): idempotent, lively demo data."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate as _authenticate
from django.core.management import call_command
from django.test import RequestFactory

from applications.models import Application
from certificates.models import AnnualReview, Certificate, CertificateRequest
from ietsportal.accounts.models import User
from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify
from ietsportal.notifications.models import Notification
from institutions.models import Assessor, Institution
from selection.models import Candidate, SelectionProject, SelfEvaluation
from supervision import services as supervision
from supervision.models import AuditFinding, Case, CaseNote, RecordAudit

pytestmark = pytest.mark.django_db


def authenticate(**credentials):
    """The real login check (django-axes needs a request)."""
    return _authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def snapshot():
    return (
        User.objects.count(),
        Application.objects.count(),
        Certificate.objects.count(),
        AnnualReview.objects.count(),
        CertificateRequest.objects.count(),
        Case.objects.count(),
        CaseNote.objects.count(),
        RecordAudit.objects.count(),
        AuditFinding.objects.count(),
        SelfEvaluation.objects.count(),
        SelectionProject.objects.count(),
        Candidate.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


def test_seed_demo_loads_every_contracted_account_and_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--password", "pw-demo-1")
    first = snapshot()
    call_command("seed_demo", "--password", "pw-demo-1")
    assert snapshot() == first
    names = ["center", "applicant", "applicant-assoc", "inst-national", "inst-local"]
    names += [f"expert{i}" for i in range(1, 6)]
    names += [f"nat-assessor{i}" for i in range(1, 16)]
    names += [f"loc-assessor{i}" for i in range(1, 11)]
    for name in names:
        assert authenticate(username=name, password="pw-demo-1") is not None, name
    national = Institution.objects.get(staff__username="inst-national")
    local = Institution.objects.get(staff__username="inst-local")
    # R§8: national ≥15 assessors, ≥8 full-time; local ≥10, ≥5 full-time.
    assert Assessor.objects.filter(institution=national).count() >= 15
    assert Assessor.objects.filter(institution=national, full_time=True).count() >= 8
    assert Assessor.objects.filter(institution=local).count() >= 10
    assert Assessor.objects.filter(institution=local, full_time=True).count() >= 5
    assert User.objects.get(username="applicant").organization.org_type == "enterprise"
    assert User.objects.get(username="applicant-assoc").organization.org_type == "association"


def test_seed_demo_has_applications_and_certificates_in_every_state(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    states = set(Application.objects.values_list("state", flat=True))
    assert {
        "draft",
        "submitted",
        "returned_to_applicant",
        "document_review",
        "expert_review",
        "publicity",
        "issued",
    } <= states
    assert set(Certificate.objects.values_list("status", flat=True)) == {
        "valid",
        "suspended",
        "revoked",
        "expired",
    }
    assert AnnualReview.objects.filter(state="due").exists()
    assert CertificateRequest.objects.filter(state="filed").count() == 1
    assert any(
        "公司" in name for name in Certificate.objects.values_list("organization__name", flat=True)
    )
    assert audit_chain_verify() is None  # made through the services: a whole chain
    # a new password resets every account's password
    call_command("seed_demo", "--password", "another-pass-2")
    assert authenticate(username="center", password="another-pass-2") is not None


def test_seed_demo_shows_the_newer_features_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("seed_demo", stdout=out)
    lines = out.getvalue().splitlines()
    code = next(line for line in lines if line.startswith("receipt code")).rsplit(" ", 1)[1]
    # The anonymous report, found with the printed receipt code (only its hash is stored).
    report = supervision.case_by_receipt(code)
    assert (report.kind, report.filer, report.state, report.subject_kind) == (
        "report",
        None,
        "received",
        "institution",
    )
    complaint = Case.objects.get(kind="complaint")
    assert (complaint.state, complaint.filer.username) == ("in_progress", "applicant-assoc")
    assert sorted(complaint.notes.values_list("internal", flat=True)) == [False, True]
    appeal = Case.objects.get(kind="appeal")
    assert (appeal.state, appeal.filer.username, bool(appeal.reply)) == (
        "upheld",
        "applicant4",
        True,
    )
    audit = RecordAudit.objects.get()
    assert (audit.institution.staff.filter(username="inst-national").exists(), audit.is_open) == (
        True,
        True,
    )
    finding = AuditFinding.objects.get()
    assert finding.audit == audit and finding.application is not None
    applicant = User.objects.get(username="applicant")
    runs = SelfEvaluation.objects.filter(organization=applicant.organization).order_by("pk")
    assert [r.state for r in runs] == ["completed", "draft"]
    assert runs[0].grade and runs[0].total is not None
    project = SelectionProject.objects.get()
    assert project.buyer == User.objects.get(username="applicant-assoc").organization
    accepted = project.candidates.get(organization=applicant.organization)
    assert (accepted.state, accepted.sharing, accepted.self_evaluation) == (
        "accepted",
        "self_evaluation",
        runs[0],
    )
    assert project.candidates.exclude(pk=accepted.pk).get().state == "invited"
    assert audit_chain_verify() is None
    # Twice changes nothing and prints no new code.
    before = snapshot()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "receipt code" not in out.getvalue()
