"""R§15–16: suspension, stop, reinstatement of institutions and assessors, with history."""

import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationState as S
from ietsportal.errors import Conflict, InvalidInput, NotPermitted
from institutions import services
from institutions.enums import AssessorState, InstitutionState
from institutions.models import SupervisionAction

from ..conftest import T0


def test_suspended_institution_accepts_nothing_new_and_is_reinstated(world, flow):
    app = flow.to(flow.draft(), S.SUBMITTED)
    services.institution_suspend(
        institution_id=world.inst.pk,
        actor=world.center,
        grounds="rules",
        explanation="未按规定保存评价记录。",
        evidence="检查记录 2026-01",
        now=T0,
    )
    world.inst.refresh_from_db()
    assert (world.inst.state, world.inst.is_accepting, world.inst.in_directory) == (
        InstitutionState.SUSPENDED,
        False,
        True,
    )
    with pytest.raises(Conflict):
        flow.fire(
            app,
            "accept",
            world.inst_admin,
            lead_assessor=world.assessors[0].username,
            assessors=[world.assessors[1].username],
        )
    services.institution_reinstate(
        institution_id=world.inst.pk, actor=world.center, explanation="已整改。", now=T0
    )
    world.inst.refresh_from_db()
    assert world.inst.is_accepting is True
    assert list(
        SupervisionAction.objects.filter(institution=world.inst)
        .order_by("pk")
        .values_list("kind", "grounds")
    ) == [("suspend", "rules"), ("reinstate", "")]


def test_stopped_institution_leaves_the_directory(world, client):
    services.institution_stop(
        institution_id=world.other_inst.pk,
        actor=world.center,
        grounds="fraud",
        explanation="弄虚作假。",
        now=T0,
    )
    names = [r["name"] for r in APIClient().get("/api/v1/institutions/").json()["results"]]
    assert names == ["全国评价机构甲", "广东地方评价机构"]
    assert client.get(f"/institutions/{world.other_inst.pk}/").status_code == 404
    with pytest.raises(Conflict):
        services.institution_reinstate(
            institution_id=world.other_inst.pk, actor=world.center, explanation="x", now=T0
        )


def test_supervision_needs_listed_grounds_and_an_explanation(world):
    with pytest.raises(InvalidInput) as exc:
        services.institution_suspend(
            institution_id=world.inst.pk,
            actor=world.center,
            grounds="whim",
            explanation="x",
            now=T0,
        )
    assert exc.value.field == "grounds"
    with pytest.raises(InvalidInput) as exc:
        services.institution_suspend(
            institution_id=world.inst.pk,
            actor=world.center,
            grounds="law",
            explanation=" ",
            now=T0,
        )
    assert exc.value.field == "explanation"
    with pytest.raises(NotPermitted):
        services.institution_suspend(
            institution_id=world.inst.pk,
            actor=world.inst_admin,
            grounds="law",
            explanation="x",
            now=T0,
        )
    assert SupervisionAction.objects.count() == 0


def test_assessor_suspend_reinstate_remove(world, flow):
    from ..factories import assessor as make_assessor

    make_assessor(world.inst)  # one above the bar, so a suspension keeps it accepting
    assessor = world.assessors[2].assessor_profile
    services.assessor_suspend(
        assessor_id=assessor.pk,
        actor=world.center,
        grounds="assessor_capacity",
        explanation="能力不足。",
        now=T0,
    )
    assessor.refresh_from_db()
    assert assessor.state == AssessorState.SUSPENDED
    app = flow.to(flow.draft(), S.SUBMITTED)
    from ietsportal.errors import InvalidInput as Bad

    with pytest.raises(Bad):  # a suspended assessor cannot be assigned
        flow.fire(
            app,
            "accept",
            world.inst_admin,
            lead_assessor=world.assessors[2].username,
            assessors=[world.assessors[1].username],
        )
    services.assessor_reinstate(
        assessor_id=assessor.pk, actor=world.center, explanation="已培训。", now=T0
    )
    services.assessor_remove(
        assessor_id=assessor.pk, actor=world.center, grounds="law", explanation="违法。", now=T0
    )
    assessor.refresh_from_db()
    assert assessor.state == AssessorState.REMOVED
    assert list(assessor.supervision_actions.order_by("pk").values_list("kind", flat=True)) == [
        "suspend",
        "reinstate",
        "remove",
    ]


def test_manage_page_center_suspends_with_a_form(world, client):
    client.force_login(world.center)
    url = f"/institutions/{world.inst.pk}/manage/suspend/"
    response = client.post(url, {"suspend-grounds": "law", "suspend-explanation": ""})
    assert response.status_code == 400
    response = client.post(
        url,
        {"suspend-grounds": "law", "suspend-explanation": "违法。", "suspend-evidence": "判决书"},
    )
    assert response.status_code == 302
    world.inst.refresh_from_db()
    assert world.inst.state == InstitutionState.SUSPENDED
    page = client.get(f"/institutions/{world.inst.pk}/manage/").content.decode()
    assert "判决书" in page and "Reinstate the institution" in page
    client.force_login(world.inst_admin)
    assert (
        client.post(url, {"suspend-grounds": "law", "suspend-explanation": "x"}).status_code == 403
    )


def test_api_supervision_actions(world):
    api = APIClient()
    api.force_authenticate(world.center)
    response = api.post(
        f"/api/v1/manage/institutions/{world.local_inst.pk}/actions/suspend/",
        {"grounds": "institution_capacity", "explanation": "管理不善。"},
        format="json",
    )
    assert (response.status_code, response.json()["state"]) == (200, "suspended")
    response = api.post(
        f"/api/v1/manage/institutions/{world.local_inst.pk}/actions/suspend/",
        {"grounds": "law", "explanation": "x"},
        format="json",
    )
    assert response.status_code == 409
