"""`manage.py seed_demo` (DESIGN.md public contract): idempotent, lively demo data."""

import pytest
from django.contrib.auth import authenticate as _authenticate
from django.core.management import call_command
from django.test import RequestFactory

from applications.models import Application
from certificates.models import AnnualReview, Certificate, CertificateRequest
from ietsportal.accounts.models import User
from ietsportal.audit.services import audit_chain_verify
from institutions.models import Assessor, Institution

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
