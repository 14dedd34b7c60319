"""The center's own wording of notifications, per key and language (issue #3)."""

import pytest
from django.conf import settings
from django.utils import translation

from ietsportal.audit.models import AuditEntry
from ietsportal.errors import InvalidInput, NotFound
from ietsportal.notifications.messages import default_text, render_message, texts_forget
from ietsportal.notifications.models import Notification, NotificationText
from ietsportal.notifications.services import notification_create, notification_emails_send
from ietsportal.notifications.texts import (
    notification_text_preview,
    notification_text_reset,
    notification_text_set,
)

from .conftest import T0

KEY = "application.assigned"  # "You have been assigned to application %(number)s."


@pytest.fixture(autouse=True)
def _forget_texts():
    texts_forget()
    with translation.override("en"):
        yield
    texts_forget()


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_an_override_is_used_in_its_language_only(world):
    notification_text_set(
        actor=world.center, key=KEY, language="zh-hans", text="请评审申请 %(number)s。", now=T0
    )
    params = {"number": "SQ1"}

    with translation.override("zh-hans"):
        assert render_message(KEY, params) == "请评审申请 SQ1。"
    with translation.override("en"):
        assert render_message(KEY, params) == "You have been assigned to application SQ1."


def test_saving_and_resetting_are_audited_and_reset_restores_the_default(world):
    notification_text_set(
        actor=world.center, key=KEY, language="en", text="Please review %(number)s.", now=T0
    )
    notification_text_set(
        actor=world.center, key=KEY, language="en", text="Review %(number)s now.", now=T0
    )
    assert NotificationText.objects.get().text == "Review %(number)s now."
    assert render_message(KEY, {"number": "SQ1"}) == "Review SQ1 now."
    saved = AuditEntry.objects.filter(action="notification_text.set").order_by("seq")
    assert [e.data["before"] for e in saved] == [None, "Please review %(number)s."]

    assert notification_text_reset(actor=world.center, key=KEY, language="en", now=T0) is True
    assert notification_text_reset(actor=world.center, key=KEY, language="en", now=T0) is False

    assert not NotificationText.objects.exists()
    assert render_message(KEY, {"number": "SQ1"}) == "You have been assigned to application SQ1."
    reset = AuditEntry.objects.get(action="notification_text.reset")
    assert reset.data == {"key": KEY, "language": "en", "before": "Review %(number)s now."}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Please review.",
            "The text must use exactly the placeholders of the default: %(number)s. "
            "Missing: %(number)s. Unknown: —.",
        ),
        (
            "Review %(number)s for %(organisation)s.",
            "The text must use exactly the placeholders of the default: %(number)s. "
            "Missing: —. Unknown: %(organisation)s.",
        ),
        (
            "Review %(number)s: 100% now.",
            "The text has a percent sign that is not a placeholder: write it twice to show a "
            "percent sign.",
        ),
        ("   ", "The text is required."),
        ("%(number)s" + "x" * 1000, "The text is too long (at most 1000 characters)."),
    ],
)
def test_an_override_must_keep_exactly_the_placeholders(world, text, message):
    with pytest.raises(InvalidInput) as exc:
        notification_text_set(actor=world.center, key=KEY, language="en", text=text, now=T0)
    assert str(exc.value.message) == message
    assert not NotificationText.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="notification_text").exists()


def test_a_percent_sign_written_twice_is_accepted(world):
    notification_text_set(
        actor=world.center, key=KEY, language="en", text="100%% yours: %(number)s.", now=T0
    )
    assert render_message(KEY, {"number": "SQ1"}) == "100% yours: SQ1."


@pytest.mark.parametrize(
    ("key", "language"), [("no.such.key", "en"), (KEY, "fr"), (KEY, "zh-hant")]
)
def test_unknown_keys_and_languages_are_refused(world, key, language):
    with pytest.raises(NotFound):
        notification_text_set(
            actor=world.center, key=key, language=language, text="%(number)s", now=T0
        )


def test_only_the_center_edits_texts(world):
    for actor in (world.applicant, world.inst_admin, world.experts[0], None):
        with pytest.raises(NotFound):
            notification_text_set(
                actor=actor, key=KEY, language="en", text="Go %(number)s.", now=T0
            )
        with pytest.raises(NotFound):
            notification_text_reset(actor=actor, key=KEY, language="en", now=T0)
    assert not NotificationText.objects.exists()


def test_the_preview_fills_the_placeholders_with_samples():
    assert (
        notification_text_preview(key=KEY, language="en", text="Review %(number)s.")
        == "Review SQ20260000001."
    )


def test_the_inbox_and_the_email_use_the_override(client, world, mailoutbox):
    notification_text_set(
        actor=world.center, key=KEY, language="en", text="Now review %(number)s.", now=T0
    )
    notification_text_set(
        actor=world.center, key=KEY, language="zh-hans", text="现在评审 %(number)s。", now=T0
    )
    notification_create(recipients=[world.applicant], key=KEY, params={"number": "SQ9"}, now=T0)

    english(client).force_login(world.applicant)
    assert "Now review SQ9." in client.get("/notifications/").content.decode()
    notification_emails_send(now=T0)  # e-mails go out in the portal's language
    assert mailoutbox[0].subject == "[IETS] 现在评审 SQ9。"
    assert Notification.objects.get().email_sent_at == T0


def test_the_center_page_previews_saves_and_resets(client, world):
    english(client).force_login(world.center)
    url = f"/center/notification-texts/{KEY}/en/"

    listing = client.get("/center/notification-texts/").content.decode()
    assert default_text(KEY, "en") in listing and url in listing

    preview = client.post(url, {"action": "preview", "text": "Look at %(number)s."})
    assert preview.status_code == 200
    assert "Look at SQ20260000001." in preview.content.decode()
    assert not NotificationText.objects.exists()

    bad = client.post(url, {"action": "save", "text": "Look."})
    assert bad.status_code == 400
    assert "Missing: %(number)s." in bad.content.decode()
    assert not NotificationText.objects.exists()

    saved = client.post(url, {"action": "save", "text": "Look at %(number)s."}, follow=True)
    assert "The text was saved" in saved.content.decode()
    assert NotificationText.objects.get().text == "Look at %(number)s."

    reset = client.post(url, {"action": "reset"}, follow=True)
    assert "The default text applies again." in reset.content.decode()
    assert not NotificationText.objects.exists()

    assert client.get("/center/notification-texts/no.such/en/").status_code == 404
    assert client.get(f"/center/notification-texts/{KEY}/fr/").status_code == 404


def test_the_inbox_reads_the_texts_once_whatever_the_number_of_notifications(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    notification_text_set(
        actor=world.center, key=KEY, language="en", text="Now review %(number)s.", now=T0
    )
    english(client).force_login(world.applicant)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/notifications/").status_code == 200
        return len(ctx)

    notification_create(recipients=[world.applicant], key=KEY, params={"number": "SQ1"}, now=T0)
    one = count()
    for i in range(2, 6):
        notification_create(
            recipients=[world.applicant], key=KEY, params={"number": f"SQ{i}"}, now=T0
        )
    assert count() == one
