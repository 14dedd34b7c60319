"""Publicity in batches (公示, M§14(4)): the center prepares a batch, confirmed results join it,
publishing it opens the 7-day publicity of all its entries at once.

Each entry keeps its own `publicity_starts_at` / `publicity_ends_at` (= the batch's), so the
objections and the issue job (`services.applications_issue_due`) work on entries unchanged. An
entry in a batch not yet published is in state `publicity` with no dates: not public, no
objections, nothing to issue.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g

from ietsportal.accounts.enums import Role
from ietsportal.audit.services import audit_record, audit_records_bulk
from ietsportal.errors import Conflict, InvalidInput, NotFound
from ietsportal.notifications.services import notifications_create_many

from .enums import ApplicationState
from .models import Application, PublicityBatch


def _center_only(actor):
    if actor is None or not getattr(actor, "is_center_staff", False):
        raise NotFound()


def _new_batch(*, actor, now: datetime) -> PublicityBatch:
    year = timezone.localtime(now).year
    for _attempt in range(3):
        last = PublicityBatch.objects.filter(year=year).aggregate(m=Max("sequence"))["m"] or 0
        try:
            with transaction.atomic():
                return PublicityBatch.objects.create(
                    year=year, sequence=last + 1, created_at=now, created_by=actor
                )
        except IntegrityError:  # a concurrent batch took the number: take the next one
            continue
    raise Conflict(_g("Another batch was created at the same time; try again."))


def publicity_batch_create(*, actor, now: datetime) -> PublicityBatch:
    """M§14(4): the center opens a new batch (公示〔year〕第N批) that confirmed results join."""
    _center_only(actor)
    with transaction.atomic():
        batch = _new_batch(actor=actor, now=now)
        audit_record(
            actor=actor,
            action="publicity_batch.create",
            obj=batch,
            now=now,
            visible_to_applicant=False,
            data={"number": batch.number},
        )
    return batch


def publicity_batch_assign(app: Application, data: dict, actor, now: datetime) -> dict:
    """Called by the `confirm` step (inside its transaction): the result joins the batch the
    center picked (`batch`: its id), else the center's next open batch (the oldest one not yet
    published). With no open batch, the result is published at once in a batch of its own, so
    the center that does not prepare batches keeps the 7 days starting at the confirmation."""
    chosen = data.get("batch")
    chosen = "" if chosen is None else str(chosen).strip()
    open_batches = PublicityBatch.objects.select_for_update().filter(starts_at__isnull=True)
    if chosen:
        if not chosen.isdigit():
            raise InvalidInput(_g("Choose a publicity batch from the list."), field="batch")
        batch = PublicityBatch.objects.select_for_update().filter(pk=int(chosen)).first()
        if batch is None:
            raise InvalidInput(_g("This publicity batch does not exist."), field="batch")
        if batch.is_published:
            raise Conflict(
                _g("Batch %(number)s is already published and cannot change; choose an open one.")
                % {"number": batch.number},
                field="batch",
            )
    else:
        batch = open_batches.order_by("year", "sequence").first()
    if batch is None:
        batch = _new_batch(actor=actor, now=now)
        batch.starts_at = now
        batch.ends_at = now + timedelta(days=settings.PUBLICITY_DAYS)
        batch.published_by = actor
        batch.save(update_fields=["starts_at", "ends_at", "published_by"])
    app.publicity_batch = batch
    app.publicity_starts_at, app.publicity_ends_at = batch.starts_at, batch.ends_at
    return {"publicity_batch": batch.number, "publicity_ends_at": app.publicity_ends_at}


def publicity_batch_publish(*, batch_id: int, actor, now: datetime) -> PublicityBatch:
    """M§14(4): publish the batch: the 7 days start now for every entry at once (the end is
    exactly 7 days after the start). An empty batch cannot be published; a published one
    cannot change. Set-based: the same queries whatever the number of entries."""
    _center_only(actor)
    with transaction.atomic():
        batch = PublicityBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise NotFound()
        if batch.is_published:
            raise Conflict(
                _g("Batch %(number)s is already published and cannot change.")
                % {"number": batch.number}
            )
        entries = Application.objects.filter(
            publicity_batch=batch, state=ApplicationState.PUBLICITY
        )
        rows = list(
            entries.select_for_update()
            .order_by("pk")
            .values_list("pk", "number", "organization_id")
        )
        if not rows:
            raise Conflict(
                _g("Batch %(number)s has no entries: an empty batch cannot be published.")
                % {"number": batch.number}
            )
        batch.starts_at = now
        batch.ends_at = now + timedelta(days=settings.PUBLICITY_DAYS)
        batch.published_by = actor
        batch.save(update_fields=["starts_at", "ends_at", "published_by"])
        Application.objects.filter(pk__in=[pk for pk, _n, _o in rows]).update(
            publicity_starts_at=batch.starts_at, publicity_ends_at=batch.ends_at
        )
        audit_record(
            actor=actor,
            action="publicity_batch.publish",
            obj=batch,
            now=now,
            visible_to_applicant=False,
            data={
                "number": batch.number,
                "starts_at": batch.starts_at,
                "ends_at": batch.ends_at,
                "applications": [pk for pk, _n, _o in rows],
            },
        )
        audit_records_bulk(
            actor=actor,
            action="application.publicity_published",
            model=Application,
            items=[(pk, {"batch": batch.number, "ends_at": batch.ends_at}) for pk, _n, _o in rows],
            now=now,
        )
        applicants = {}
        for user in get_user_model().objects.filter(
            is_active=True,
            role=Role.APPLICANT,
            organization_id__in={org for _pk, _n, org in rows},
        ):
            applicants.setdefault(user.organization_id, []).append(user)
        ends = timezone.localtime(batch.ends_at).strftime("%Y-%m-%d %H:%M")
        notifications_create_many(
            items=[
                (
                    applicants.get(org, []),
                    "application.publicity_published",
                    {"number": number, "batch": batch.number, "ends_at": ends},
                    reverse("publicity-detail", args=[pk]),
                )
                for pk, number, org in rows
            ],
            now=now,
        )
    return batch
