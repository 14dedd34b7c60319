from decimal import Decimal

import pytest

from rubrics.models import Rubric
from selection import services
from tests.conftest import T0


def full_marks(kind="grade", fraction=Decimal("1")):
    """A score for every criterion of the current rubric: `fraction` of its maximum."""
    rubric = Rubric.objects.current(kind)
    return {c.code: str(c.max_score * fraction) for c in rubric.criteria.all()}


def completed_run(user, *, kind="grade", fraction=Decimal("1"), title="", now=T0):
    run = services.self_evaluation_create(actor=user, kind=kind, title=title, now=now)
    services.self_evaluation_score(
        actor=user, evaluation_id=run.pk, scores=full_marks(kind, fraction), now=now
    )
    return services.self_evaluation_complete(actor=user, evaluation_id=run.pk, now=now)


WEIGHTS = {"basic": 10, "technical": 40, "service": 30, "operational": 20}


@pytest.fixture
def project(world):
    return services.selection_create(
        actor=world.applicant,
        title="运维服务采购",
        weights=WEIGHTS,
        min_grade="IETS-3",
        requires_valid_certificate=True,
        now=T0,
    )


@pytest.fixture(autouse=True)
def _english():
    """Service messages are matched in English (pages are requested in the default zh-hans)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("zh-hans")
