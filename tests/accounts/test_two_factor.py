import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def code_of(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def staff():
    return UserFactory(center=True, username="zhu")


@pytest.fixture
def no_throttle(settings):
    """django-otp delays the next attempt after a wrong code; these tests go on at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_a_wrong_code_throttles_the_next_attempt(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)
    assert client.post("/accounts/two-factor/verify/", {"code": "000000"}).status_code == 400
    # even the right code is refused straight after a wrong one (django-otp throttling)
    assert client.post("/accounts/two-factor/verify/", {"code": code_of(device)}).status_code == 400


def test_staff_must_set_up_a_second_factor_when_required(client, settings, staff, no_throttle):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = True
    client.force_login(staff)
    response = client.get("/workspace/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/two-factor/?next=/workspace/",
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    wrong = client.post("/accounts/two-factor/", {"code": "000000", "next": "/workspace/"})
    assert wrong.status_code == 400
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is False
    done = client.post("/accounts/two-factor/", {"code": code_of(device), "next": "/workspace/"})
    assert (done.status_code, done["Location"]) == (302, "/workspace/")
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    assert client.get("/workspace/").status_code == 200


def test_applicants_are_not_asked_even_when_required(client, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = True
    client.force_login(UserFactory(username="qiye"))
    assert client.get("/workspace/").status_code == 200


def test_a_confirmed_device_is_asked_for_after_the_password(client, staff, no_throttle):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = client.post("/accounts/login/", {"username": "zhu", "password": "pw-123456"})
    assert response.status_code == 302
    response = client.get("/workspace/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/two-factor/verify/?next=/workspace/",
    )
    assert client.get("/api/v1/applications/").status_code == 403  # the session API too
    bad = client.post("/accounts/two-factor/verify/", {"code": "123456", "next": "/workspace/"})
    assert bad.status_code == 400
    good = client.post(
        "/accounts/two-factor/verify/", {"code": code_of(device), "next": "https://evil.example/"}
    )
    assert (good.status_code, good["Location"]) == (302, "/workspace/")  # no open redirect
    assert client.get("/workspace/").status_code == 200


def test_token_login_asks_for_the_code_of_a_second_factor(staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/", {"username": "zhu", "password": "pw-123456"}, format="json"
    )
    assert (response.status_code, response.json()["field"]) == (400, "otp")
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "zhu", "password": "pw-123456", "otp": code_of(device)},
        format="json",
    )
    assert response.status_code == 200
    assert set(response.json()) == {"token"}


def test_token_login_without_a_second_factor_is_unchanged(staff):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "zhu", "password": "pw-123456"}, format="json"
    )
    assert response.status_code == 200
