"""Notifications in the header (unread count) and on /notifications/: mark the selected or all
read, each action confirmed with a message."""

from django.utils import timezone

from ietsportal.notifications.models import Notification


def notify(user, n, key="application.submitted"):
    now = timezone.now()
    return [
        Notification.objects.create(
            recipient=user, key=key, params={"number": f"A{i}"}, link="/workspace/", created_at=now
        )
        for i in range(n)
    ]


def test_header_shows_the_unread_count_and_links_to_the_inbox(client, world):
    notify(world.applicant, 3)
    notify(world.other_applicant, 5)
    client.force_login(world.applicant)
    html = client.get("/workspace/").content.decode()
    assert '<span class="count">3<span class="visually-hidden"> 未读</span></span>' in html
    assert 'href="/notifications/"' in html


def test_mark_the_selected_notifications_read(client, world):
    mine = notify(world.applicant, 3)
    theirs = notify(world.other_applicant, 1)
    client.force_login(world.applicant)
    response = client.post(
        "/notifications/", {"ids": [mine[0].pk, mine[2].pk, theirs[0].pk, "x"]}, follow=True
    )
    assert response.redirect_chain == [("/notifications/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["已将 2 条通知标为已读。"]
    assert 'role="status"' in response.content.decode()
    unread = set(Notification.objects.filter(read_at=None).values_list("pk", flat=True))
    assert unread == {mine[1].pk, theirs[0].pk}
    html = client.get("/notifications/").content.decode()
    assert '<span class="count">1<span class="visually-hidden"> 未读</span></span>' in html


def test_mark_all_notifications_read(client, world):
    notify(world.applicant, 2)
    client.force_login(world.applicant)
    response = client.post("/notifications/", {"all": "1"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["已将 2 条通知标为已读。"]
    assert not Notification.objects.filter(recipient=world.applicant, read_at=None).exists()
    assert 'class="count"' not in client.get("/notifications/").content.decode()


def test_show_unread_notifications_only(client, world):
    first, second = notify(world.applicant, 2)
    client.force_login(world.applicant)
    client.post("/notifications/", {"ids": [first.pk]})
    assert list(client.get("/notifications/?unread=1").context["object_list"]) == [second]
    assert len(client.get("/notifications/").context["object_list"]) == 2


def test_a_job_batch_s_emails_all_go_out_and_the_sweep_takes_the_oldest_first(world, mailoutbox):
    """Issue #8: a job batch queues thousands of notifications and their ids go to one task,
    which used to send the first 500 and leave the rest to the outbox sweep (500 a run, every
    few minutes). The task now sends all of its ids over one mail connection; the sweep still
    takes at most SWEEP_LIMIT a run, the oldest first, and never sends one twice."""
    from ietsportal.notifications.services import (
        SWEEP_LIMIT,
        notification_emails_send,
        notifications_create_many,
    )

    now = timezone.now()
    ids = notifications_create_many(
        items=[([world.applicant], "application.submitted", {"number": f"A{i}"}, "/w/")
               for i in range(SWEEP_LIMIT + 20)],
        now=now,
    )  # fmt: skip
    assert notification_emails_send(ids=ids, now=now) == SWEEP_LIMIT + 20
    assert len(mailoutbox) == SWEEP_LIMIT + 20
    assert notification_emails_send(ids=ids, now=now) == 0  # each once

    older = notify(world.other_applicant, SWEEP_LIMIT + 3)
    mailoutbox.clear()
    assert notification_emails_send(now=now) == SWEEP_LIMIT
    sent = set(Notification.objects.exclude(email_sent_at=None).values_list("pk", flat=True))
    assert {n.pk for n in older[:SWEEP_LIMIT]} <= sent  # the oldest first
    assert notification_emails_send(now=now) == 3
    assert Notification.objects.filter(email_sent_at=None).count() == 0
