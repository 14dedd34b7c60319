"""R§7, R§13: designation of institutions."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ietsportal.accounts.enums import Role
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotPermitted
from ietsportal.notifications.models import Notification
from institutions import services
from institutions.enums import InstitutionState
from institutions.models import ConflictDeclaration, Designation, Expert, Institution

from ..conftest import T0
from ..factories import UserFactory
from .conftest import DOSSIER, apply


def _through_panel(world, pool, candidate, now=T0):
    designation = apply(candidate, now=now)
    services.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, notes="材料齐全。", now=now
    )
    for expert in world.experts:
        services.designation_opinion_submit(
            designation_id=designation.pk, actor=expert, approves=True, opinion="同意。", now=now
        )
    return designation


def test_designation_full_path_makes_an_institution_with_its_admin(world, pool, candidate):
    designation = _through_panel(world, pool, candidate)
    institution = services.designation_decide(
        designation_id=designation.pk,
        actor=world.center,
        approve=True,
        reason="符合条件。",
        now=T0 + timedelta(days=1),
    )
    candidate.refresh_from_db()
    assert (institution.state, institution.approved_at, institution.in_directory) == (
        InstitutionState.APPROVED,
        T0 + timedelta(days=1),
        True,
    )
    assert (candidate.role, candidate.institution_id) == (Role.INSTITUTION_ADMIN, institution.pk)
    # R§8: a new institution has no roster yet, so it is flagged and accepts nothing.
    assert institution.staffing_short_since == T0 + timedelta(days=1)
    assert institution.is_accepting is False
    assert list(
        AuditEntry.objects.filter(
            object_type="institutions.institution", object_id=str(institution.pk)
        )
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "institution.designation_apply",
        "institution.designation_expert_review",
        "institution.designation_opinion",
        "institution.designation_opinion",
        "institution.designation_opinion",
        "institution.designation_approve",
        "institution.staffing_short",
    ]
    assert (
        Notification.objects.filter(
            recipient=candidate, key="institution.designation_approved"
        ).count()
        == 1
    )
    response = APIClient().get("/api/v1/institutions/", {"q": "新评价机构"})
    assert [row["name"] for row in response.json()["results"]] == ["新评价机构"]


def test_designation_refuses_an_organisation_established_less_than_a_year_ago(world, candidate):
    with pytest.raises(InvalidInput) as exc:
        apply(candidate, established_on=(T0 - timedelta(days=300)).date())
    assert exc.value.field == "established_on"
    assert "more than one year" in str(exc.value.message)
    assert Institution.objects.filter(uscc=candidate.organization.uscc).count() == 0


@pytest.mark.parametrize("missing", ["declares_good_credit", "declares_independence"])
def test_designation_requires_the_declarations(world, candidate, missing):
    with pytest.raises(InvalidInput) as exc:
        apply(candidate, **{missing: False})
    assert exc.value.field == missing
    assert Designation.objects.count() == 0


def test_designation_local_needs_a_region(world, candidate):
    with pytest.raises(InvalidInput) as exc:
        apply(candidate, level="local", region="")
    assert exc.value.field == "region"


def test_designation_only_one_at_a_time_per_organisation(world, candidate):
    apply(candidate)
    with pytest.raises(Conflict):
        apply(candidate)
    assert Designation.objects.count() == 1


def test_designation_only_applicants_apply(world):
    with pytest.raises(NotPermitted):
        apply(world.inst_admin)


def test_panel_excludes_employees_conflicted_and_unavailable_experts(world, pool, candidate):
    org = candidate.organization
    extra = [UserFactory(expert=True, username=f"expert-x{i}") for i in range(4)]
    Expert.objects.create(user=extra[0], fields_of_expertise="x", employer=org)
    Expert.objects.create(user=extra[1], fields_of_expertise="x", available=False)
    Expert.objects.create(user=extra[2], fields_of_expertise="x")
    ConflictDeclaration.objects.create(
        person=extra[2], organization=org, reason="曾任顾问。", declared_at=T0
    )
    Expert.objects.create(user=extra[3], fields_of_expertise="x", max_open_reviews=1)
    designation = apply(candidate)
    services.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, panel_size=4, now=T0
    )
    assert sorted(designation.opinions.values_list("expert__username", flat=True)) == [
        "expert-x3",
        "expert1",
        "expert2",
        "expert3",
    ]


def test_panel_too_few_experts_is_a_clear_conflict(world, pool, candidate):
    designation = apply(candidate)
    with pytest.raises(Conflict) as exc:
        services.designation_start_expert_review(
            designation_id=designation.pk, actor=world.center, panel_size=5, now=T0
        )
    assert "Only 3 experts" in str(exc.value.message)
    designation.institution.refresh_from_db()
    assert designation.institution.state == InstitutionState.APPLIED


def test_decision_waits_for_every_opinion(world, pool, candidate):
    designation = apply(candidate)
    services.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, now=T0
    )
    with pytest.raises(Conflict):
        services.designation_decide(
            designation_id=designation.pk, actor=world.center, approve=True, reason="好。", now=T0
        )


def test_refused_designation_may_be_filed_again(world, pool, candidate):
    designation = apply(candidate)
    services.designation_decide(
        designation_id=designation.pk,
        actor=world.center,
        approve=False,
        reason="人员不足。",
        now=T0,
    )
    designation.institution.refresh_from_db()
    candidate.refresh_from_db()
    assert (designation.institution.state, candidate.role) == (
        InstitutionState.REFUSED,
        Role.APPLICANT,
    )
    again = apply(candidate, now=T0 + timedelta(days=30))
    assert again.institution.state == InstitutionState.APPLIED


def test_expert_off_the_panel_cannot_give_an_opinion(world, pool, candidate):
    designation = apply(candidate)
    services.designation_start_expert_review(
        designation_id=designation.pk, actor=world.center, panel_size=2, now=T0
    )
    outsider = (
        {e.pk for e in world.experts}
        - set(designation.opinions.values_list("expert_id", flat=True))
    ).pop()
    from ietsportal.errors import NotFound

    with pytest.raises(NotFound):
        services.designation_opinion_submit(
            designation_id=designation.pk,
            actor=next(e for e in world.experts if e.pk == outsider),
            approves=True,
            opinion="同意。",
            now=T0,
        )


def test_designation_page_shows_the_message_for_a_recent_organisation(world, candidate, client):
    client.force_login(candidate)
    recent = (timezone.localdate() - timedelta(days=182)).isoformat()  # filed today
    data = {"name": "新机构", "level": "national", "established_on": recent, **DOSSIER}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    response = client.post("/institutions/designations/new/", data)
    assert response.status_code == 400
    assert "more than one year" in response.content.decode()
    assert Designation.objects.count() == 0


def test_designation_api_create_and_actions(world, pool, candidate):
    api = APIClient()
    api.force_authenticate(candidate)
    response = api.post(
        "/api/v1/designations/",
        {
            "name": "接口机构",
            "level": "local",
            "region": "11",
            "established_on": "2019-05-01",
            **DOSSIER,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    center = APIClient()
    center.force_authenticate(world.center)
    response = center.post(f"/api/v1/designations/{pk}/actions/start_review/", {}, format="json")
    assert (response.status_code, response.json()["institution"]["state"]) == (200, "under_review")
    response = center.post(
        f"/api/v1/designations/{pk}/actions/decide/",
        {"approve": True, "reason": "好。"},
        format="json",
    )
    assert response.status_code == 409
    assert (
        date.fromisoformat("2019-05-01")
        == Designation.objects.get(pk=pk).institution.established_on
    )
