"""M§3 through the API: the center's rubric editing (`/api/v1/manage/rubrics/`) runs the
services of the pages — a draft version, its title, criteria and thresholds, what stops it
from being published, publishing, discarding — and is not there for anyone else."""

import pytest
from rest_framework.test import APIClient

from applications.enums import GRADE_ORDER
from ietsportal.audit.models import AuditEntry
from rubrics.enums import RubricState
from rubrics.models import Rubric

from .test_manage import NEW

BASE = "/api/v1/manage/rubrics/"


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.center)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_the_center_drafts_edits_and_publishes_a_version(world, api):
    current = Rubric.objects.current("grade")

    response = api.post(BASE, {"kind": "grade"}, format="json")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert (draft["version"], draft["state"], draft["problems"]) == (
        current.version + 1,
        "draft",
        [],
    )
    assert len(draft["criteria"]) == current.criteria.count()
    url = f"{BASE}{draft['id']}/"

    response = api.patch(url, {"title": "能力评价细则（修订）", "title_en": "Rules (rev.)"})
    assert (response.status_code, response.json()["title"]) == (200, "能力评价细则（修订）")

    response = api.post(f"{url}criteria/", NEW, format="json")
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["code"], added["weight"], added["position"]) == ("T5", "3.00", 16)
    response = api.patch(f"{url}criteria/{added['id']}/", {**NEW, "weight": "4.5"}, format="json")
    assert (response.status_code, response.json()["weight"]) == (200, "4.50")

    thresholds = {"IETS-4": 61, "IETS-3": 71, "IETS-2": 81, "IETS-1": 89, "IETS-E": 95}
    response = api.put(f"{url}thresholds/", {"thresholds": thresholds}, format="json")
    assert response.status_code == 200, response.content
    assert {t["grade"]: t["min_total"] for t in response.json()["thresholds"]} == {
        grade: f"{value}.00" for grade, value in thresholds.items()
    }

    response = api.post(f"{url}publish/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "published"
    current.refresh_from_db()
    assert current.state == RubricState.RETIRED
    assert Rubric.objects.current("grade").pk == draft["id"]
    # a published version never changes
    assert api.post(f"{url}criteria/", {**NEW, "code": "T6"}, format="json").status_code == 409
    assert api.delete(url).status_code == 409
    assert list(
        AuditEntry.objects.filter(object_type="rubrics.rubric", object_id=str(draft["id"]))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "rubric.draft_created",
        "rubric.title_set",
        "rubric.criterion_added",
        "rubric.criterion_changed",
        "rubric.thresholds_set",
        "rubric.published",
    ]


def test_a_draft_with_problems_is_not_published_and_can_be_discarded(world, api):
    draft = api.post(BASE, {"kind": "grade"}, format="json").json()
    url = f"{BASE}{draft['id']}/"
    assert api.put(f"{url}thresholds/", {"thresholds": {}}, format="json").status_code == 200
    problems = api.get(url).json()["problems"]
    assert problems == [f"Thresholds are missing for: {', '.join(GRADE_ORDER)}."]

    response = api.post(f"{url}publish/")
    assert response.status_code == 400
    assert problems[0] in response.json()["detail"]

    assert api.delete(url).status_code == 204
    assert not Rubric.objects.filter(pk=draft["id"]).exists()


@pytest.mark.parametrize(
    ("path", "method", "data", "field"),
    [
        ("", "post", {"kind": "quality"}, "kind"),
        ("criteria/", "post", {**NEW, "code": "T 5"}, "code"),
        ("criteria/", "post", {**NEW, "weight": "0"}, "weight"),
        ("criteria/", "post", {**NEW, "area": ["basic"]}, "area"),
        ("thresholds/", "put", {"thresholds": {"IETS-1": "a lot"}}, "thresholds"),
        ("thresholds/", "put", {"thresholds": ["IETS-1", 60]}, "thresholds"),
        ("", "patch", {"title": ""}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    world, api, path, method, data, field
):
    draft = api.post(BASE, {"kind": "grade"}, format="json").json()
    url = BASE if method == "post" and not path else f"{BASE}{draft['id']}/{path}"
    entries = AuditEntry.objects.count()

    response = getattr(api, method)(url, data, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body or body.get("field") == field, body
    assert AuditEntry.objects.count() == entries
    assert Rubric.objects.get(pk=draft["id"]).criteria.filter(code="T5").count() == 0


def test_a_second_draft_of_a_kind_is_a_conflict(world, api):
    assert api.post(BASE, {"kind": "innovation"}, format="json").status_code == 201
    response = api.post(BASE, {"kind": "innovation"}, format="json")
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_nobody_but_the_center_finds_the_editing_api(world):
    rubric = Rubric.objects.current("grade")
    for user in (world.applicant, world.inst_admin, world.assessors[0], world.experts[0]):
        client = APIClient()
        client.force_authenticate(user)
        for method, url in (
            ("get", BASE),
            ("post", BASE),
            ("get", f"{BASE}{rubric.pk}/"),
            ("post", f"{BASE}{rubric.pk}/publish/"),
        ):
            assert getattr(client, method)(url).status_code == 404, (user, method, url)
    assert APIClient().get(BASE).status_code in (401, 403)
