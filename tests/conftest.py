"""Shared fixtures. Tests run on whatever DATABASE_URL says (PostgreSQL in CI, SQLite
otherwise) and talk to the real Redis when REDIS_URL is set."""

import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from ietsportal.demo import DEMO_PDF

from .factories import (
    InstitutionFactory,
    OrganizationFactory,
    UserFactory,
    assessor,
    staff_to_bar,
)

_db = settings.DATABASES["default"]
if _db["ENGINE"].endswith("postgresql"):
    # Let Django empty the append-only audit table between transactional tests; a test that
    # checks the trigger switches this off for its own transaction (see test_audit.py).
    _db.setdefault("OPTIONS", {})["options"] = "-c iets.audit_purge=on"

IS_POSTGRES = _db["ENGINE"].endswith("postgresql")
REDIS_URL = os.environ.get("REDIS_URL", "")
needs_postgres = pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (REDIS_URL)")

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and lookup counters live in the cache: each test starts from zero. On Redis,
    so does this process's in-memory lookup gate, subscribed before the test begins (so that
    every lookup takes the path production takes, not the round trip of a gate still
    connecting)."""
    from django.conf import settings
    from django.core.cache import cache

    from certificates import lookups

    cache.clear()
    backend = lookups._redis()
    if backend is not None and settings.PUBLIC_LOOKUP_LOCAL:
        gate = lookups._local_gate(backend)
        assert gate.subscribed.wait(10), "the lookup gate did not subscribe to Redis"
        gate.reset()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language, whatever a request before it
    activated in this thread (LocaleMiddleware leaves its language active)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def pdf_upload(name="证明材料.pdf", content=DEMO_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def world(db):
    """Two tenants of each kind, so every scope can be checked against its neighbour."""
    from rubrics.services import rubric_samples_ensure

    # The sample rubrics come with a migration; a transactional test before this one may have
    # emptied the tables.
    rubric_samples_ensure(now=T0)
    w = SimpleNamespace()
    w.center = UserFactory(center=True, username="center")
    w.experts = [UserFactory(expert=True, username=f"expert{i}") for i in range(1, 4)]
    w.inst = InstitutionFactory(name="全国评价机构甲")
    w.inst_admin = UserFactory(institution_admin=True, institution=w.inst, username="inst-a")
    w.assessors = [assessor(w.inst, username=f"a-assessor{i}") for i in range(1, 4)]
    w.other_inst = InstitutionFactory(name="全国评价机构乙")
    w.other_admin = UserFactory(institution_admin=True, institution=w.other_inst, username="inst-b")
    w.other_assessors = [assessor(w.other_inst, username=f"b-assessor{i}") for i in (1, 2)]
    w.local_inst = InstitutionFactory(local=True, name="广东地方评价机构")
    w.local_admin = UserFactory(
        institution_admin=True, institution=w.local_inst, username="inst-local"
    )
    w.local_assessors = [assessor(w.local_inst, username=f"l-assessor{i}") for i in (1, 2)]
    # R§8: each institution keeps the staffing bar, so the daily check leaves them accepting.
    for inst in (w.inst, w.other_inst, w.local_inst):
        staff_to_bar(inst)
    w.org = OrganizationFactory(name="北京甲科技有限公司")
    w.applicant = UserFactory(organization=w.org, username="applicant")
    w.other_org = OrganizationFactory(name="北京乙科技有限公司")
    w.other_applicant = UserFactory(organization=w.other_org, username="applicant-b")
    w.assoc_org = OrganizationFactory(name="北京信息化协会", org_type="association")
    w.assoc_applicant = UserFactory(organization=w.assoc_org, username="applicant-assoc")
    return w


@pytest.fixture
def flow(world):
    """Drive applications through the pipeline with the right person at each step."""
    from tests.helpers import Flow

    return Flow(world)


@pytest.fixture
def t0():
    return T0


__all__ = ["T0", "needs_postgres", "needs_redis", "pdf_upload", "timedelta"]
