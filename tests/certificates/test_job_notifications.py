"""Issue #8: the certificate jobs build their notifications in the database — one
`INSERT … SELECT` per batch from the batch's certificates and the users they reach, params by
`jsonb_build_object` (JSON_OBJECT on SQLite), the link by concatenation — instead of reading
the users and writing every row from Python. What a reader sees must be what
`notifications_create_many` would have stored: the same params, the certificate page's own
path, the run's time, only active users, one per certificate and user, e-mail queued after
commit."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F, Value
from django.urls import reverse

from certificates.enums import AnnualReviewState as R
from certificates.models import AnnualReview
from certificates.services import (
    annual_reviews_mark_overdue,
    annual_reviews_open_due,
    reevaluation_reminders,
)
from ietsportal.bulk import insert_select
from ietsportal.notifications.models import Notification
from ietsportal.notifications.services import notifications_create_from
from tests.factories import UserFactory
from tests.helpers import beijing as at
from tests.helpers import issued_certificate

ISSUED_ON = date(2026, 3, 10)


def told(key):
    return list(
        Notification.objects.filter(key=key)
        .order_by("recipient__username", "link")
        .values_list("recipient__username", "params", "link", "created_at", "email_sent_at")
    )


def page(certificate):
    return reverse("certificate-detail", args=[certificate.number])


def test_opening_reviews_tells_each_active_holder_of_each_certificate_once(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from ietsportal.notifications import services

    queued = []
    monkeypatch.setattr(services, "_enqueue", queued.append)
    UserFactory(organization=world.org, username="applicant-gone", is_active=False)
    first = issued_certificate(world, issued_on=ISSUED_ON)
    second = issued_certificate(world, issued_on=ISSUED_ON + timedelta(days=1))
    other = issued_certificate(world, world.other_org, issued_on=ISSUED_ON)
    now = at(date(2027, 2, 12))

    with django_capture_on_commit_callbacks(execute=True):
        assert annual_reviews_open_due(now=now) == 3

    def params(c, due_on):
        return {"certificate": c.number, "due_on": due_on, "deadline": "2027-05-09"}

    assert told("certificate.annual_review_due") == [
        ("applicant", params(first, "2027-03-10"), page(first), now, None),
        ("applicant", params(second, "2027-03-11") | {"deadline": "2027-05-10"}, page(second),
         now, None),
        ("applicant-b", params(other, "2027-03-10"), page(other), now, None),
    ]  # fmt: skip
    # one batch, its three notifications queued for e-mail once the batch committed
    assert [sorted(ids) for ids in queued] == [
        sorted(Notification.objects.values_list("pk", flat=True))
    ]


def test_overdue_reviews_tell_the_issuing_institutions_admins(world):
    UserFactory(institution_admin=True, institution=world.inst, username="inst-a2")
    UserFactory(
        institution_admin=True, institution=world.inst, username="inst-a-gone", is_active=False
    )
    ours = issued_certificate(world, issued_on=ISSUED_ON)
    theirs = issued_certificate(
        world, world.other_org, issued_on=ISSUED_ON, institution=world.other_inst
    )
    for c in (ours, theirs):
        AnnualReview.objects.create(
            certificate=c, year=1, due_on=date(2027, 3, 10), deadline=date(2027, 5, 9), state=R.DUE
        )
    now = at(date(2027, 5, 10))

    assert annual_reviews_mark_overdue(now=now) == 2

    def params(c):
        return {"certificate": c.number, "decision": "revoke"}

    assert told("certificate.decision_to_relay") == [
        ("inst-a", params(ours), page(ours), now, None),
        ("inst-a2", params(ours), page(ours), now, None),
        ("inst-b", params(theirs), page(theirs), now, None),
    ]


def test_reminders_carry_the_expiry_date_and_the_page_under_a_script_prefix(world):
    from django.urls import get_script_prefix, set_script_prefix

    certificate = issued_certificate(world, issued_on=ISSUED_ON)
    now = at(date(2029, 1, 1))  # the window opens on 10 December 2028
    prefix = get_script_prefix()
    set_script_prefix("/portal/")
    try:
        link = page(certificate)
        assert reevaluation_reminders(now=now) == 1
    finally:
        set_script_prefix(prefix)

    assert link.startswith("/portal/")
    assert told("certificate.reevaluation_open") == [
        (
            "applicant",
            {"certificate": certificate.number, "expires_on": "2029-03-10"},
            link,
            now,
            None,
        )
    ]


def test_insert_select_builds_the_rows_in_the_database(world, t0):
    User = get_user_model()
    holders = User.objects.filter(organization=world.org) | User.objects.filter(
        organization=world.other_org
    )

    ids = notifications_create_from(
        recipients=holders,
        key="test.key",
        params={"name": F("organization__name"), "n": Value(3)},
        link=Value("/x/"),
        now=t0,
    )

    assert sorted(ids) == sorted(Notification.objects.values_list("pk", flat=True))
    assert sorted(
        Notification.objects.values_list("recipient__username", "key", "params", "link")
    ) == [
        ("applicant", "test.key", {"name": "北京甲科技有限公司", "n": 3}, "/x/"),
        ("applicant-b", "test.key", {"name": "北京乙科技有限公司", "n": 3}, "/x/"),
    ]
    with pytest.raises(ValueError, match="one value per field"):
        insert_select(Notification, ["recipient", "key"], holders, [F("pk")])
