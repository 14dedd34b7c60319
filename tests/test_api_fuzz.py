"""schemathesis against /api/v1/schema/, authenticated as each role (issue 9, Fuzzing).

Every operation of the OpenAPI schema the app serves is fuzzed with schema-conforming
(positive) and schema-violating (negative) requests, as the applicant, the institution admin,
an assessor, an expert, the center and anonymously, against one world holding an application
in every state (so generated requests also hit real ids). The only check is
`not_a_server_error`: 0 responses of 500 or more over at least 2,000 requests.

Run with `pytest -m slow tests/test_api_fuzz.py`.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from applications import services
from applications.enums import ApplicationState as S
from applications.workflow import STEPS
from certificates.models import Certificate
from ietsportal.wsgi import application as wsgi_application

from .conftest import T0

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 7  # per generation mode, per role
MIN_REQUESTS = 2000


@pytest.fixture
def every_state(world, flow):
    """One application of `world.applicant` in every state, and one certificate."""
    apps = {}
    for state in [S.DRAFT, S.SUBMITTED, S.DOCUMENT_REVIEW, S.ONSITE_REVIEW, S.REPORTED]:
        apps[state] = flow.to(flow.draft(), state)
    apps[S.EXPERT_REVIEW] = flow.to(flow.draft(kind="innovation"), S.EXPERT_REVIEW)
    apps[S.PUBLICITY] = flow.to(flow.draft(), S.PUBLICITY)
    services.objection_file(
        application_id=apps[S.PUBLICITY].pk,
        name="张三",
        contact="13800000000",
        reason="不符合条件。",
        now=T0,
    )
    apps[S.ISSUED] = flow.to(flow.draft(), S.ISSUED)
    refused = flow.to(flow.draft(), S.SUBMITTED)
    apps[S.REFUSED] = flow.fire(refused, "refuse", world.inst_admin, reason="不予受理。")
    returned = flow.to(flow.draft(), S.SUBMITTED)
    apps[S.RETURNED_TO_APPLICANT] = flow.fire(
        returned, "return_to_applicant", world.inst_admin, reason="请补正。"
    )
    apps[S.WITHDRAWN] = flow.fire(flow.draft(), "withdraw", world.applicant)
    rejected = flow.to(flow.draft(), S.EXPERT_REVIEW)
    apps[S.REJECTED] = flow.fire(rejected, "reject", world.center, reason="未通过。")
    assert {a.state for a in apps.values()} == set(S.values)
    return apps


@pytest.fixture
def keep_connection():
    """Requests go straight to the WSGI app inside the test's transaction: like Django's test
    client, keep the end of a request from closing the database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("pk", ["true", "&", "²", "99999999999999999999999"])
def test_objection_to_a_non_numeric_publicity_id_is_404(client, pk):
    """Found by the fuzzer: `int(pk)` on the raw path segment answered 500."""
    response = client.post(
        f"/api/v1/public/publicity/{pk}/objections/",
        {"name": "张三", "contact": "13800000000", "reason": "不符合条件。"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "该条目不在公示中。"  # "This entry is not in publicity."


@pytest.mark.slow
def test_api_fuzz_no_server_errors_for_any_role(world, every_state, keep_connection):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    roles = {
        "anonymous": None,
        "applicant": world.applicant,
        "institution_admin": world.inst_admin,
        "assessor": world.assessors[0],
        "expert": world.experts[0],
        "center": world.center,
    }
    ids = sorted(a.pk for a in every_state.values())
    numbers = [*Certificate.objects.values_list("number", flat=True), "ZS-NONE"]
    known = {
        "id": st.sampled_from(ids),
        "number": st.sampled_from(numbers),
        "name": st.sampled_from(sorted(STEPS)),
    }
    made = {role: 0 for role in roles}
    failures = []

    for role, user in roles.items():
        headers = {}
        if user is not None:
            headers["Authorization"] = f"Token {Token.objects.get_or_create(user=user)[0].key}"
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                # Half of the positive cases address the objects that exist.
                names = [p.name for p in operation.path_parameters]
                if mode is GenerationMode.POSITIVE and names and all(n in known for n in names):
                    real = st.fixed_dictionaries({n: known[n] for n in names}).flatmap(
                        lambda params, op=operation: op.as_strategy(path_parameters=params)
                    )
                    strategy = st.one_of(strategy, real)

                try:
                    _fuzz(strategy, role, headers, made, failures)
                except Unsatisfiable:
                    # Nothing in this operation can be made invalid (no parameters, no body).
                    assert mode is GenerationMode.NEGATIVE, operation.label

    total = sum(made.values())
    print(f"API fuzz: {total} requests, by role {made}, {len(operations)} operations")
    assert failures == []
    assert total >= MIN_REQUESTS


def _fuzz(strategy, role, headers, made, failures):
    """Send EXAMPLES_PER_OPERATION generated requests as `role`; collect every server error."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case):
        response = case.call(headers=headers)
        made[role] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, then report
            failures.append(f"{role}: {case.method} {case.formatted_path}: {exc}")

    fuzz()
