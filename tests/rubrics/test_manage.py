"""M§3: the center edits a new draft version of a rubric in the browser and publishes it; a
published version never changes."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotPermitted
from rubrics import services
from rubrics.enums import RubricState
from rubrics.models import Criterion, GradeThreshold, Rubric

from ..conftest import T0

NEW = {
    "area": "technical",
    "code": "T5",
    "title": "信创适配",
    "title_en": "Domestic platform adaptation",
    "guidance": "",
    "guidance_en": "",
    "weight": "3",
    "max_score": "10",
    "position": "16",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def center(world):
    client = Client()
    client.force_login(world.center)
    client.cookies["django_language"] = "en"
    return client


def draft_of(world, kind="grade"):
    return services.rubric_draft_create(actor=world.center, kind=kind, now=T0)


def test_the_center_creates_edits_and_publishes_a_new_version_in_the_browser(world, center):
    v1 = Rubric.objects.current("grade")

    response = center.post("/center/rubrics/new/", {"kind": "grade"})
    draft = Rubric.objects.get(kind="grade", state=RubricState.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == f"/center/rubrics/{draft.pk}/"
    page = center.get(response["Location"]).content.decode()
    assert "This is a sample rubric" in page  # the copy of the sample stays labelled
    assert "Nothing stops this draft from being published." in page

    response = center.post(f"/center/rubrics/{draft.pk}/criteria/new/", NEW)
    assert response.status_code == 302
    b1 = draft.criteria.get(code="B1")
    response = center.post(
        f"/center/rubrics/{draft.pk}/criteria/{b1.pk}/",
        {**NEW, "area": "basic", "code": "B1", "title": "法人资格", "weight": "6", "position": 0},
    )
    assert response.status_code == 302
    response = center.post(
        f"/center/rubrics/{draft.pk}/thresholds/",
        {"IETS-4": "55", "IETS-3": "65", "IETS-2": "78", "IETS-1": "87", "IETS-E": "93"},
    )
    assert response.status_code == 302
    response = center.post(f"/center/rubrics/{draft.pk}/publish/")
    assert response.status_code == 302

    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.state, v1.state) == (RubricState.PUBLISHED, RubricState.RETIRED)
    assert Rubric.objects.current("grade") == draft
    assert draft.criteria.count() == 17
    assert (draft.criteria.get(code="B1").weight, draft.criteria.get(code="T5").title) == (
        Decimal("6.00"),
        "信创适配",
    )
    assert sorted(draft.thresholds.values_list("grade", "min_total")) == [
        ("IETS-1", Decimal("87.00")),
        ("IETS-2", Decimal("78.00")),
        ("IETS-3", Decimal("65.00")),
        ("IETS-4", Decimal("55.00")),
        ("IETS-E", Decimal("93.00")),
    ]
    assert v1.criteria.count() == 16  # the old version is untouched
    assert list(
        AuditEntry.objects.filter(object_type="rubrics.rubric", object_id=str(draft.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "rubric.draft_created",
        "rubric.criterion_added",
        "rubric.criterion_changed",
        "rubric.thresholds_set",
        "rubric.published",
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "B1"}, "code", "This rubric has a criterion B1 already."),
        ({"code": "B 1"}, "code", "The code has 1 to 16 letters, digits, “-” or “_”."),
        ({"weight": "0"}, "weight", "Ensure this value is greater than or equal to 0.01."),
        ({"max_score": "abc"}, "max_score", "Enter a number."),
        ({"area": "finance"}, "area", "Select a valid choice. finance is not one of the"),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_a_bad_criterion_is_refused_inline_and_nothing_is_stored(
    world, center, change, field, message
):
    draft = draft_of(world)
    entries = AuditEntry.objects.count()

    response = center.post(f"/center/rubrics/{draft.pk}/criteria/new/", {**NEW, **change})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["criterion_form"].errors[field][0].startswith(message)
    assert draft.criteria.count() == 16
    assert AuditEntry.objects.count() == entries


def test_problems_are_shown_and_stop_publishing(world, center):
    draft = draft_of(world)
    for c in draft.criteria.filter(area="service"):
        services.criterion_delete(actor=world.center, rubric_id=draft.pk, criterion_id=c.pk, now=T0)
    center.post(
        f"/center/rubrics/{draft.pk}/thresholds/",
        {"IETS-4": "60", "IETS-3": "50", "IETS-2": "80", "IETS-1": "88", "IETS-E": ""},
    )

    page = center.get(f"/center/rubrics/{draft.pk}/").content.decode()
    response = center.post(f"/center/rubrics/{draft.pk}/publish/")

    expected = [
        "The area “Service capability” has no criterion.",
        "Thresholds are missing for: IETS-E.",
    ]
    for problem in expected:
        assert problem in page
    assert response.status_code == 400
    assert " ".join(expected) in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == RubricState.DRAFT
    assert Rubric.objects.current("grade").version == 1


def test_thresholds_out_of_range_are_refused_inline(world, center):
    draft = draft_of(world)

    response = center.post(f"/center/rubrics/{draft.pk}/thresholds/", {"IETS-4": "101"})

    assert response.status_code == 400
    assert response.context["threshold_form"].errors["IETS-4"] == [
        "Ensure this value is less than or equal to 100."
    ]
    assert draft.thresholds.count() == 5


def test_a_published_version_cannot_be_changed_through_the_services(world):
    v1 = Rubric.objects.current("grade")
    b1 = v1.criteria.get(code="B1")
    entries = AuditEntry.objects.count()

    for call in (
        lambda: services.criterion_save(
            actor=world.center, rubric_id=v1.pk, criterion_id=b1.pk, data=NEW, now=T0
        ),
        lambda: services.criterion_delete(
            actor=world.center, rubric_id=v1.pk, criterion_id=b1.pk, now=T0
        ),
        lambda: services.rubric_thresholds_set(
            actor=world.center, rubric_id=v1.pk, thresholds={"IETS-4": "1"}, now=T0
        ),
        lambda: services.rubric_title_set(
            actor=world.center, rubric_id=v1.pk, title="改", title_en="", now=T0
        ),
        lambda: services.rubric_draft_discard(actor=world.center, rubric_id=v1.pk, now=T0),
    ):
        with pytest.raises(Conflict):
            call()
    assert (v1.criteria.get(code="B1").weight, v1.thresholds.count()) == (Decimal("5.00"), 5)
    assert AuditEntry.objects.count() == entries


def test_only_the_center_edits_rubrics(world):
    draft = draft_of(world)
    for actor in (world.inst_admin, world.applicant, world.experts[0]):
        with pytest.raises(NotPermitted):
            services.criterion_save(actor=actor, rubric_id=draft.pk, data=NEW, now=T0)
    assert draft.criteria.count() == 16


def test_innovation_rubrics_take_no_thresholds(world):
    draft = draft_of(world, "innovation")
    with pytest.raises(InvalidInput):
        services.rubric_thresholds_set(
            actor=world.center, rubric_id=draft.pk, thresholds={"IETS-4": "60"}, now=T0
        )
    assert not GradeThreshold.objects.filter(rubric=draft).exists()


def test_a_second_draft_of_a_kind_is_refused_on_the_page(world, center):
    draft_of(world)

    response = center.post("/center/rubrics/new/", {"kind": "grade"})

    assert response.status_code == 409
    assert "A draft of this rubric already exists" in response.content.decode()
    assert Rubric.objects.filter(kind="grade").count() == 2


def test_a_draft_can_be_discarded(world, center):
    draft = draft_of(world)

    response = center.post(f"/center/rubrics/{draft.pk}/discard/")

    assert response.status_code == 302
    assert not Rubric.objects.filter(pk=draft.pk).exists()
    assert not Criterion.objects.filter(rubric_id=draft.pk).exists()
    assert Rubric.objects.current("grade").version == 1
