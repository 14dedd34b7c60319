import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ietsportal.accounts.models import Organization, User
from ietsportal.audit.models import AuditEntry
from ietsportal.demo import make_uscc

GOOD = {
    "name": "深圳<b>鹏城</b>软件有限公司",
    "uscc": make_uscc("91440300MA5FAB123"),
    "org_type": "enterprise",
    "address": "深圳市南山区",
    "display_name": "张三",
    "email": "zhang@example.cn",
    "username": "pengcheng",
    "password": "Correct-horse-42",
}


@pytest.mark.django_db
def test_registration_api_creates_organisation_and_applicant():
    response = APIClient().post("/api/v1/auth/register/", GOOD, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "username": "pengcheng",
        "organization": GOOD["name"],
        "uscc": GOOD["uscc"],
    }
    user = User.objects.get(username="pengcheng")
    assert user.role == "applicant"
    assert user.organization.region == "44"  # from the USCC's division code
    assert user.check_password("Correct-horse-42")
    assert AuditEntry.objects.filter(action="organization.register").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"uscc": "91440300MA5FAB1239"}, 400, "uscc"),  # wrong check digit
        ({"uscc": "9144"}, 400, "uscc"),  # too short
        ({"uscc": make_uscc("91990300MA5FAB12Y")}, 400, "uscc"),  # no such province (99)
        ({"org_type": "club"}, 400, "org_type"),
        ({"password": "12345678"}, 400, "password"),  # numeric and common
        ({"name": ""}, 400, "name"),
    ],
)
def test_registration_api_refuses_bad_input_and_stores_nothing(change, status, field):
    response = APIClient().post("/api/v1/auth/register/", {**GOOD, **change}, format="json")
    assert response.status_code == status
    assert field in response.json() or response.json().get("field") == field
    assert Organization.objects.count() == 0
    assert User.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_registration_twice_with_the_same_uscc_is_a_conflict():
    client = APIClient()
    assert client.post("/api/v1/auth/register/", GOOD, format="json").status_code == 201
    again = client.post("/api/v1/auth/register/", {**GOOD, "username": "other"}, format="json")
    assert again.status_code == 409
    assert again.json()["field"] == "uscc"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_registration_page_logs_in_and_escapes_html_in_the_name(client):
    data = {**GOOD, "password_again": GOOD["password"]}
    response = client.post(reverse("register"), data, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("workspace")
    html = response.content.decode()
    assert "<b>鹏城</b>" not in html
    assert "&lt;b&gt;鹏城&lt;/b&gt;" in html


@pytest.mark.django_db
def test_registration_page_shows_a_clear_message_for_a_bad_uscc(client):
    data = {**GOOD, "uscc": "91440300MA5FAB1239", "password_again": GOOD["password"]}
    response = client.post(reverse("register"), data)
    assert response.status_code == 400
    assert "91440300MA5FAB1239" in response.content.decode()
    assert Organization.objects.count() == 0
