"""Issue #8: the benchmark's loader at tiny scale, so it cannot rot (the bench itself is not
part of the suite: `make bench`, docs/performance.md)."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from applications.models import Application
from certificates.models import AnnualReview, Certificate
from ietsportal.accounts.models import Organization, validate_uscc
from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify
from institutions.models import Assessor, Institution

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the loader uses PostgreSQL COPY"
)
NOW = datetime(2026, 6, 1, 10, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_loader_at_tiny_scale_writes_a_consistent_world():
    from bench.load import load

    result = load(certificates=300, now=NOW)

    assert Certificate.objects.count() == 300
    assert Application.objects.count() == 300 + 30  # issued + the pipeline
    assert Institution.objects.count() == 4
    assert Assessor.objects.count() == 8
    assert Organization.objects.count() == 100
    statuses = set(Certificate.objects.values_list("status", flat=True))
    assert statuses == {"valid", "expired", "replaced", "revoked", "suspended"}
    # the expiry job has work: valid certificates past their validity
    assert Certificate.objects.filter(status="valid", expires_on__lt=NOW.date()).exists()
    assert AnnualReview.objects.exists()
    assert {s for (s,) in Application.objects.values_list("state").distinct()} >= {
        "draft",
        "expert_review",
        "publicity",
        "issued",
    }
    for org in Organization.objects.all()[:20]:
        validate_uscc(org.uscc)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in org.name)
    # one audit entry per certificate issued plus the pipeline histories, one intact chain
    assert AuditEntry.objects.filter(action="certificate.issue").count() == 300
    assert audit_chain_verify() is None
    assert result["rows"]["certificates_certificate"] == 300
    assert result["seconds"] > 0
    # ids were copied explicitly: the sequences were moved past them
    new = Organization.objects.create(name="新", uscc="X" * 18, region="11", org_type="enterprise")
    assert new.pk > 100
