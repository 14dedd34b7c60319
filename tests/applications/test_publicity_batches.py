"""Publicity in batches (公示, M§14(4)): confirmed results join the center's open batch;
publishing it starts the 7 days of all its entries at once."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from applications import services
from applications.batches import publicity_batch_create, publicity_batch_publish
from applications.enums import ApplicationState as S
from applications.models import Application, PublicityBatch
from ietsportal.audit.models import AuditEntry
from ietsportal.errors import Conflict, InvalidInput, NotFound
from ietsportal.jobs import run_due_jobs
from ietsportal.notifications.models import Notification

from ..conftest import T0
from ..factories import OrganizationFactory, UserFactory
from ..helpers import expert_opinion

WEEK = timedelta(days=7)


def in_publicity(flow, applicant=None, now=T0):
    return flow.to(flow.draft(applicant, now=now), S.PUBLICITY, now=now)


def with_opinions(flow, world, now=T0):
    """An application in expert review whose panel has given its opinions: ready to confirm."""
    app = flow.to(flow.draft(now=now), S.EXPERT_REVIEW, now=now)
    for expert in world.experts:
        expert_opinion(
            application_id=app.pk,
            actor=expert,
            now=now + timedelta(hours=5),
            approves=True,
            recommended_grade="IETS-3",
            opinion="同意。",
        )
    app.refresh_from_db()
    return app


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def new_applicant():
    return UserFactory(organization=OrganizationFactory())


def test_without_an_open_batch_a_result_is_published_at_once_in_a_batch_of_its_own(flow, world):
    app = in_publicity(flow)

    batch = app.publicity_batch
    assert batch.number == "公示〔2026〕第1批"
    assert batch.starts_at == app.publicity_starts_at
    assert batch.ends_at == app.publicity_ends_at == batch.starts_at + WEEK
    assert batch.published_by == world.center
    audit = AuditEntry.objects.filter(action="application.confirm").order_by("-seq").first()
    assert audit is None or audit.data["publicity_batch"] == batch.number


def test_confirmed_results_wait_in_the_open_batch_until_it_is_published(flow, world):
    open_batch = publicity_batch_create(actor=world.center, now=T0)
    later = publicity_batch_create(actor=world.center, now=T0)
    assert (open_batch.number, later.number) == ("公示〔2026〕第1批", "公示〔2026〕第2批")
    first = in_publicity(flow)
    second = in_publicity(flow, world.other_applicant)

    for app in (first, second):
        assert app.state == S.PUBLICITY
        assert app.publicity_batch == open_batch  # the oldest open batch
        assert (app.publicity_starts_at, app.publicity_ends_at) == (None, None)
    # The application's page says it waits for the batch.
    page = english(Client())
    page.force_login(world.applicant)
    assert (
        "Waiting in 公示〔2026〕第1批: the 7 days of publicity start when"
        in page.get(f"/applications/{first.pk}/").content.decode()
    )
    # Not public yet: no page, no objection, nothing to issue.
    client = APIClient()
    assert client.get(f"/publicity/{first.pk}/").status_code == 404
    assert client.get(f"/api/v1/public/publicity/{first.pk}/").status_code == 404
    with pytest.raises(NotFound):
        services.objection_file(
            application_id=first.pk, name="张三", contact="13800000000", reason="有疑问。", now=T0
        )
    run_due_jobs(now=T0 + timedelta(days=30))
    first.refresh_from_db()
    assert first.state == S.PUBLICITY

    published_at = T0 + timedelta(days=2)
    batch = publicity_batch_publish(batch_id=open_batch.pk, actor=world.center, now=published_at)

    assert (batch.starts_at, batch.ends_at) == (published_at, published_at + WEEK)
    assert batch.published_by == world.center
    for app in (first, second):
        app.refresh_from_db()
        assert (app.publicity_starts_at, app.publicity_ends_at) == (batch.starts_at, batch.ends_at)
    assert set(
        AuditEntry.objects.filter(action="application.publicity_published").values_list(
            "object_id", flat=True
        )
    ) == {str(first.pk), str(second.pk)}
    publish = AuditEntry.objects.get(action="publicity_batch.publish")
    assert publish.data["applications"] == sorted([first.pk, second.pk])
    told = Notification.objects.filter(key="application.publicity_published")
    assert sorted(n.recipient.username for n in told) == ["applicant", "applicant-b"]
    assert "公示〔2026〕第1批" in told.get(recipient=world.applicant).text

    # The objection window and the issue job work on the entries unchanged.
    services.objection_file(
        application_id=first.pk,
        name="张三",
        contact="13800000000",
        reason="有疑问。",
        now=published_at + timedelta(days=1),
    )
    run_due_jobs(now=batch.ends_at + timedelta(seconds=1))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (S.PUBLICITY, S.ISSUED)


def test_the_center_picks_the_batch_at_confirmation(flow, world):
    publicity_batch_create(actor=world.center, now=T0)
    picked = publicity_batch_create(actor=world.center, now=T0)
    app = with_opinions(flow, world)

    flow.fire(
        app,
        "confirm",
        world.center,
        T0 + timedelta(days=1),
        final_grade="IETS-3",
        batch=str(picked.pk),
    )

    app.refresh_from_db()
    assert app.publicity_batch == picked


@pytest.mark.parametrize(
    ("choice", "error", "message"),
    [
        ("published", Conflict, "is already published and cannot change"),
        ("missing", InvalidInput, "This publicity batch does not exist."),
        ("text", InvalidInput, "Choose a publicity batch from the list."),
    ],
)
def test_confirming_into_a_published_or_unknown_batch_is_refused(
    flow, world, choice, error, message
):
    published = in_publicity(flow, new_applicant()).publicity_batch
    app = with_opinions(flow, world)
    batch = {"published": str(published.pk), "missing": "99999", "text": "第1批"}[choice]

    with pytest.raises(error) as exc:
        flow.fire(
            app, "confirm", world.center, T0 + timedelta(days=1), final_grade="IETS-3", batch=batch
        )

    assert message in str(exc.value.message)
    app.refresh_from_db()
    assert (app.state, app.publicity_batch) == (S.EXPERT_REVIEW, None)


def test_an_empty_batch_cannot_be_published_and_a_published_one_cannot_change(flow, world):
    empty = publicity_batch_create(actor=world.center, now=T0)
    with pytest.raises(Conflict) as exc:
        publicity_batch_publish(batch_id=empty.pk, actor=world.center, now=T0)
    assert str(exc.value.message) == (
        "Batch 公示〔2026〕第1批 has no entries: an empty batch cannot be published."
    )
    empty.refresh_from_db()
    assert not empty.is_published

    in_publicity(flow)
    publicity_batch_publish(batch_id=empty.pk, actor=world.center, now=T0 + timedelta(days=1))
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        publicity_batch_publish(batch_id=empty.pk, actor=world.center, now=T0 + timedelta(days=2))
    assert "is already published and cannot change" in str(exc.value.message)
    empty.refresh_from_db()
    assert empty.starts_at == T0 + timedelta(days=1)
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("who", ["applicant", "inst_admin", "experts"])
def test_only_the_center_creates_and_publishes_batches(world, who):
    actor = getattr(world, who)
    actor = actor[0] if isinstance(actor, list) else actor
    batch = publicity_batch_create(actor=world.center, now=T0)
    with pytest.raises(NotFound):
        publicity_batch_create(actor=actor, now=T0)
    with pytest.raises(NotFound):
        publicity_batch_publish(batch_id=batch.pk, actor=actor, now=T0)
    assert PublicityBatch.objects.count() == 1


def test_the_center_pages_open_and_publish_a_batch_with_clear_messages(client, flow, world):
    english(client).force_login(world.center)
    response = client.post("/center/publicity-batches/", follow=True)
    batch = PublicityBatch.objects.get()
    assert response.redirect_chain[-1][0] == f"/center/publicity-batches/{batch.pk}/"
    assert "公示〔2026〕第1批" in response.content.decode()

    empty = client.post(f"/center/publicity-batches/{batch.pk}/publish/")
    assert empty.status_code == 409
    assert "an empty batch cannot be published" in empty.content.decode()

    app = in_publicity(flow)
    page = client.get(f"/center/publicity-batches/{batch.pk}/").content.decode()
    assert app.number in page
    listing = client.get("/center/publicity-batches/").content.decode()
    assert "公示〔2026〕第1批" in listing

    response = client.post(f"/center/publicity-batches/{batch.pk}/publish/", follow=True)
    assert response.status_code == 200
    assert "is published: objections may be filed until" in response.content.decode()
    again = client.post(f"/center/publicity-batches/{batch.pk}/publish/")
    assert again.status_code == 409
    assert "is already published and cannot change" in again.content.decode()


def test_the_confirm_form_offers_the_open_batches(client, flow, world):
    batch = publicity_batch_create(actor=world.center, now=T0)
    app = with_opinions(flow, world)
    client.force_login(world.center)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert f'<option value="{batch.pk}">公示〔2026〕第1批</option>' in page

    response = client.post(
        f"/applications/{app.pk}/transitions/confirm/",
        {"final_grade": "IETS-3", "batch": str(batch.pk)},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.state, app.publicity_batch) == (S.PUBLICITY, batch)


def test_the_public_list_groups_entries_by_batch(client, flow, world):
    batch = publicity_batch_create(actor=world.center, now=T0)
    grouped = [in_publicity(flow), in_publicity(flow, world.other_applicant)]
    publicity_batch_publish(batch_id=batch.pk, actor=world.center, now=T0 + timedelta(days=1))
    alone = in_publicity(flow, new_applicant(), now=T0 + timedelta(days=2))

    page = client.get("/publicity/").content.decode()

    first, second = page.index("公示〔2026〕第1批"), page.index("公示〔2026〕第2批")
    assert first < second
    for app in grouped:
        assert first < page.index(f"/publicity/{app.pk}/") < second
    assert page.index(f"/publicity/{alone.pk}/") > second
    assert f"/publicity/batches/{batch.pk}/" in page
    assert timezone.localtime(T0 + timedelta(days=8)).strftime("%Y-%m-%d %H:%M") in page


def test_the_batch_page_lists_its_entries_and_an_open_batch_has_none(client, flow, world):
    batch = publicity_batch_create(actor=world.center, now=T0)
    app = in_publicity(flow)
    assert client.get(f"/publicity/batches/{batch.pk}/").status_code == 404
    assert client.get(f"/api/v1/public/publicity-batches/{batch.pk}/").status_code == 404

    publicity_batch_publish(batch_id=batch.pk, actor=world.center, now=timezone.now())
    page = client.get(f"/publicity/batches/{batch.pk}/")

    assert page.status_code == 200
    assert app.organization.name in page.content.decode()
    assert "公示〔2026〕第1批" in page.content.decode()


def test_the_api_names_each_entry_s_batch(flow, world):
    app = in_publicity(flow)
    batch = app.publicity_batch
    client = APIClient()

    entry = client.get(f"/api/v1/public/publicity/{app.pk}/").json()
    assert entry["batch"] == {
        "id": batch.pk,
        "number": "公示〔2026〕第1批",
        "year": 2026,
        "sequence": 1,
        "starts_at": entry["publicity_starts_at"],
        "ends_at": entry["publicity_ends_at"],
    }
    listing = client.get("/api/v1/public/publicity-batches/").json()
    assert [b["number"] for b in listing["results"]] == ["公示〔2026〕第1批"]


def _queries(client, urls):
    with CaptureQueriesContext(connection) as ctx:
        for url in urls:
            assert client.get(url).status_code == 200
    return len(ctx)


def test_public_pages_run_the_same_queries_whatever_the_number_of_entries(client, flow, world):
    batch = publicity_batch_create(actor=world.center, now=T0)
    in_publicity(flow)
    publicity_batch_publish(batch_id=batch.pk, actor=world.center, now=timezone.now())
    urls = [
        "/publicity/",
        f"/publicity/batches/{batch.pk}/",
        "/api/v1/public/publicity/",
        "/api/v1/public/publicity-batches/",
    ]
    one = _queries(client, urls)

    more = publicity_batch_create(actor=world.center, now=T0)
    for _ in range(3):
        in_publicity(flow, new_applicant())
    publicity_batch_publish(batch_id=more.pk, actor=world.center, now=timezone.now())
    assert Application.objects.filter(state=S.PUBLICITY).count() == 4

    assert _queries(client, urls) == one
