import re

import pytest
from django.core import mail
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(username="zhangsan", email="zhangsan@example.cn")


def login(client, password, username="zhangsan"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_locks_after_five_failures_and_unlocks_by_command(client, user):
    assert [login(client, "wrong").status_code for _ in range(5)] == [200] * 4 + [429]
    locked = login(client, "pw-123456")  # even the right password, while locked
    assert locked.status_code == 429
    assert "/accounts/password-reset/" in locked.content.decode()
    assert login(client, "pw-123456", username="someone-else").status_code == 200  # not locked
    call_command("axes_reset_username", "zhangsan")
    response = login(client, "pw-123456")
    assert (response.status_code, response["Location"]) == (302, "/workspace/")


def test_successful_login_resets_the_failure_count(client, user):
    for _ in range(4):
        login(client, "wrong")
    assert login(client, "pw-123456").status_code == 302
    client.logout()
    assert [login(client, "wrong").status_code for _ in range(4)] == [200] * 4


def test_a_username_longer_than_any_is_refused_before_the_login_check(user):
    """Found by the API fuzzing: django-axes could not store a 300-character username as a
    failed attempt, and the token endpoint answered 500."""
    from axes.models import AccessAttempt

    for username in ("x" * 300, "张" * 151):
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": username, "password": "bad"}, format="json"
        )
        assert (response.status_code, list(response.json())) == (400, ["username"])
    assert AccessAttempt.objects.count() == 0
    ok = APIClient().post(
        "/api/v1/auth/token/", {"username": "zhangsan", "password": "pw-123456"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["token"]


def test_token_login_is_throttled_too(user):
    api = APIClient()
    codes = [
        api.post(
            "/api/v1/auth/token/", {"username": "zhangsan", "password": "bad"}, format="json"
        ).status_code
        for _ in range(6)
    ]
    assert codes[:4] == [400] * 4
    assert codes[4:] == [429, 429]
    right = api.post(
        "/api/v1/auth/token/", {"username": "zhangsan", "password": "pw-123456"}, format="json"
    )
    assert right.status_code == 429
    assert "token" not in right.json()


def test_disabling_an_account_ends_its_sessions(client, user):
    client.force_login(user)
    assert client.get("/workspace/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/workspace/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/workspace/",
    )


def test_password_reset_by_email_sets_a_new_password(client, user):
    response = client.post("/accounts/password-reset/", {"email": "zhangsan@example.cn"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password-reset/sent/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhangsan@example.cn"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Another-pass-77", "new_password2": "Another-pass-77"}
    )
    assert (done.status_code, done["Location"]) == (302, "/accounts/reset/done/")
    user.refresh_from_db()
    assert user.check_password("Another-pass-77")
    assert client.get(link, follow=True).context["validlink"] is False  # single use


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, user):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.cn"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password-reset/sent/")
    assert mail.outbox == []


def test_api_lockout_answers_json_with_retry_after(user):
    api = APIClient()
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": "zhangsan", "password": "bad"}, format="json")
    response = api.post(
        "/api/v1/auth/token/", {"username": "zhangsan", "password": "bad"}, format="json"
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert set(response.json()) == {"detail"}
