"""R§13–14: the public directories, searchable and paginated, HTML, JSON and CSV."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from institutions import services

from ..conftest import T0
from ..factories import InstitutionFactory, staff_to_bar
from .conftest import nominate


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_directory_pages_query_count_does_not_grow(world, client):
    api = APIClient()
    urls = [
        "/institutions/",
        "/assessors/",
        "/api/v1/institutions/",
        "/api/v1/public/assessors/",
        "/institutions/open-data.csv",
        "/assessors/open-data.csv",
    ]
    before = [_count(client if not u.startswith("/api") else api, u) for u in urls]
    for _ in range(3):
        staff_to_bar(InstitutionFactory(local=True))
    after = [_count(client if not u.startswith("/api") else api, u) for u in urls]
    assert after == before


def test_directory_search_and_filters(world, client):
    page = client.get("/institutions/", {"level": "local"}).content.decode()
    assert "广东地方评价机构" in page and "全国评价机构甲" not in page
    data = APIClient().get("/api/v1/institutions/", {"region": "44"}).json()
    assert [r["name"] for r in data["results"]] == ["广东地方评价机构"]
    assert data["results"][0]["registered_assessors"] == 10
    assert data["results"][0]["accepting"] is True


def test_directory_hides_nominations_and_shows_only_masked_ids(world, client):
    a = nominate(world.inst_admin, name="未备案者")
    assert "<td>未备案者</td>" not in client.get("/assessors/", {"q": "未备案者"}).content.decode()
    a = services.assessor_register(assessor_id=a.pk, actor=world.center, now=T0)
    csv = client.get("/assessors/open-data.csv", {"q": "未备案者"}).content.decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert lines[0].startswith("registration_number,name,id_number_masked")
    assert lines[1].split(",")[:3] == [a.registration_number, "未备案者", a.id_number_masked]
    assert "*" * 10 in lines[1]


def test_directory_paginates(world, client):
    for i in range(25):
        InstitutionFactory(name=f"分页机构{i:02d}")
    first = client.get("/institutions/", {"q": "分页机构"}).content.decode()
    second = client.get("/institutions/", {"q": "分页机构", "page": 2}).content.decode()
    assert first.count("分页机构") - 1 == 20  # rows, less the search box value
    assert "分页机构24" in second


def test_private_lists_query_count_does_not_grow(world, pool, client):
    from django.contrib.auth import get_user_model

    from institutions.models import Expert

    from ..factories import OrganizationFactory, UserFactory
    from .conftest import apply

    pages = [
        (world.center, "/institutions/designations/"),
        (world.center, "/institutions/experts/"),
        (world.center, "/institutions/participation/"),
        (world.center, f"/institutions/{world.inst.pk}/manage/"),
        (world.inst_admin, f"/institutions/{world.inst.pk}/manage/"),
    ]

    def counts():
        result = []
        for user, url in pages:
            client.force_login(user)
            result.append(_count(client, url))
        return result

    apply(UserFactory(organization=OrganizationFactory()))
    before = counts()
    for i in range(3):
        apply(UserFactory(organization=OrganizationFactory()))
        Expert.objects.create(
            user=UserFactory(expert=True, username=f"pool-extra{i}"), fields_of_expertise="x"
        )
        nominate(world.inst_admin)
    assert counts() == before
    assert get_user_model().objects.filter(username__startswith="pool-extra").count() == 3
