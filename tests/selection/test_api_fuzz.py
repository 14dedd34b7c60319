"""schemathesis on the self-evaluation and selection endpoints only, as an applicant that owns
objects (a draft and a completed run, a project with a candidate, an invitation) and as an
outsider: no response of 500 or more. `pytest -m slow tests/selection/test_api_fuzz.py`."""

from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from ietsportal.wsgi import application as wsgi_application
from selection import services
from tests.conftest import T0
from tests.test_api_fuzz import keep_connection  # noqa: F401 (fixture)

from .conftest import WEIGHTS, completed_run

PREFIXES = ("/api/v1/self-evaluations/", "/api/v1/selections/", "/api/v1/selection-invitations/")


@pytest.mark.slow
@pytest.mark.django_db(transaction=False)
def test_selection_api_fuzz_no_server_errors(world, keep_connection):  # noqa: F811
    run = completed_run(world.applicant, fraction=Decimal("0.5"))
    draft = services.self_evaluation_create(actor=world.applicant, kind="grade", now=T0)
    project = services.selection_create(
        actor=world.applicant, title="采购", weights=WEIGHTS, now=T0
    )
    services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    theirs = services.selection_create(
        actor=world.other_applicant, title="乙采购", weights=WEIGHTS, now=T0
    )
    invitation = services.selection_invite(
        actor=world.other_applicant, project_id=theirs.pk, organization_id=world.org.pk, now=T0
    )
    ids = sorted({run.pk, draft.pk, project.pk, invitation.pk, 999999})
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_application)
    operations = [
        op for op in (r.ok() for r in schema.get_all_operations()) if op.path.startswith(PREFIXES)
    ]
    assert len(operations) >= 15
    failures, made = [], [0]
    for user in (world.applicant, world.other_applicant):
        headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                names = [p.name for p in operation.path_parameters]
                if mode is GenerationMode.POSITIVE and names == ["id"]:
                    strategy = st.one_of(
                        strategy,
                        st.sampled_from(ids).flatmap(
                            lambda pk, op=operation: op.as_strategy(path_parameters={"id": pk})
                        ),
                    )
                try:
                    _fuzz(strategy, headers, made, failures)
                except Unsatisfiable:
                    assert mode is GenerationMode.NEGATIVE, operation.label
    assert failures == []
    assert made[0] >= 300


def _fuzz(strategy, headers, made, failures):
    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case):
        response = case.call(headers=headers)
        made[0] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{case.method} {case.formatted_path}: {exc}")

    fuzz()
