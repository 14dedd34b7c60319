"""Simultaneous answers on PostgreSQL: a candidate answering twice at the same instant (two
users of the organisation, or a double click) is recorded once; the other caller gets 409.
Two simultaneous decisions on one project: one wins, the other gets 409."""

import pytest

from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict
from selection import services
from selection.models import Candidate, SelectionProject
from tests.applications.test_concurrency import run_together
from tests.conftest import T0, needs_postgres
from tests.factories import UserFactory

from .conftest import WEIGHTS

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_answers_are_recorded_once(world):
    project = services.selection_create(
        actor=world.applicant, title="采购", weights=WEIGHTS, now=T0
    )
    candidate = services.selection_invite(
        actor=world.applicant, project_id=project.pk, organization_id=world.other_org.pk, now=T0
    )
    colleague = UserFactory(organization=world.other_org, username="applicant-b2")
    results = run_together(
        lambda: services.candidate_answer(
            actor=world.other_applicant,
            candidate_id=candidate.pk,
            accept=True,
            sharing="certificate",
            now=T0,
        ),
        lambda: services.candidate_answer(
            actor=colleague, candidate_id=candidate.pk, accept=False, now=T0
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, Conflict)
    winner = next(value for kind, value in results if kind == "ok")
    candidate.refresh_from_db()
    assert candidate.state == winner.state
    assert AuditEntry.objects.filter(action="selection.answer").count() == 1


def test_simultaneous_decisions_one_wins(world):
    project = services.selection_create(
        actor=world.applicant, title="采购", weights=WEIGHTS, now=T0
    )
    cands = []
    for org, user in (
        (world.other_org, world.other_applicant),
        (world.assoc_org, world.assoc_applicant),
    ):
        c = services.selection_invite(
            actor=world.applicant, project_id=project.pk, organization_id=org.pk, now=T0
        )
        services.candidate_answer(
            actor=user, candidate_id=c.pk, accept=True, sharing="certificate", now=T0
        )
        cands.append(c)
    results = run_together(
        *(
            lambda c=c: services.selection_decide(
                actor=world.applicant,
                project_id=project.pk,
                candidate_id=c.pk,
                reason="理由",
                now=T0,
            )
            for c in cands
        )
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    project = SelectionProject.objects.get(pk=project.pk)
    assert project.state == "decided"
    assert Candidate.objects.filter(pk=project.chosen_id).exists()
    assert AuditEntry.objects.filter(action="selection.decide").count() == 1
