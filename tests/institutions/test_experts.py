"""M§8: the center keeps its expert pool."""

import pytest
from rest_framework.test import APIClient

from ietsportal.errors import Conflict, NotPermitted
from institutions import services
from institutions.models import ConflictDeclaration, Expert

from ..conftest import T0


def test_expert_create_update_and_conflicts(world):
    expert = services.expert_create(
        actor=world.center,
        username="expert9",
        display_name="专家 九",
        email="e9@example.cn",
        fields_of_expertise="数据治理",
        employer_id=world.other_org.pk,
        now=T0,
    )
    assert (expert.user.role, expert.employer_name, expert.available) == (
        "expert",
        "北京乙科技有限公司",
        True,
    )
    services.expert_update(
        actor=world.center,
        expert_id=expert.pk,
        fields_of_expertise="数据治理、安全",
        employer_id=None,
        employer_name="某大学",
        available=False,
        max_open_reviews=2,
        now=T0,
    )
    expert.refresh_from_db()
    assert (expert.employer_id, expert.employer_name, expert.available) == (None, "某大学", False)
    declaration = services.conflict_declare(
        actor=world.center,
        expert_id=expert.pk,
        organization_id=world.org.pk,
        reason="亲属任职。",
        now=T0,
    )
    with pytest.raises(Conflict):
        services.conflict_declare(
            actor=world.center,
            expert_id=expert.pk,
            organization_id=world.org.pk,
            reason="再次。",
            now=T0,
        )
    services.conflict_withdraw(actor=world.center, declaration_id=declaration.pk, now=T0)
    assert ConflictDeclaration.objects.count() == 0
    with pytest.raises(NotPermitted):
        services.expert_update(
            actor=world.inst_admin,
            expert_id=expert.pk,
            fields_of_expertise="x",
            available=True,
            max_open_reviews=1,
            now=T0,
        )


def test_expert_pages(world, client):
    client.force_login(world.center)
    response = client.post(
        "/institutions/experts/new/",
        {
            "username": "expert8",
            "display_name": "专家 八",
            "email": "e8@example.cn",
            "fields_of_expertise": "云计算",
            "available": "on",
            "max_open_reviews": 3,
        },
    )
    assert response.status_code == 302
    expert = Expert.objects.get(user__username="expert8")
    response = client.post(
        f"/institutions/experts/{expert.pk}/declare/",
        {"organization": world.org.pk, "reason": "曾任顾问。"},
    )
    assert response.status_code == 302
    page = client.get(f"/institutions/experts/{expert.pk}/").content.decode()
    assert "北京甲科技有限公司" in page and "曾任顾问。" in page
    response = client.post(
        "/institutions/experts/new/",
        {
            "username": "expert8",
            "display_name": "重名",
            "email": "x@example.cn",
            "fields_of_expertise": "云计算",
            "max_open_reviews": 3,
        },
    )
    assert response.status_code == 409
    assert Expert.objects.count() == 1


def test_expert_api_center_only(world):
    api = APIClient()
    api.force_authenticate(world.center)
    response = api.post(
        "/api/v1/experts/",
        {
            "username": "expert7",
            "display_name": "专家 七",
            "email": "e7@example.cn",
            "fields_of_expertise": "软件测试",
        },
        format="json",
    )
    assert response.status_code == 201
    other = APIClient()
    other.force_authenticate(world.inst_admin)
    assert other.get(f"/api/v1/experts/{response.json()['id']}/").status_code == 404
