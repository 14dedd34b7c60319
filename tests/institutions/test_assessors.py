"""R§10–11, R§14: nomination, protected ID numbers, registration, one person one institution."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from ietsportal.errors import Conflict, InvalidInput, NotPermitted
from institutions import personal_data, services
from institutions.enums import AssessorState
from institutions.models import Assessor

from ..conftest import T0
from .conftest import id_number, nominate


def test_nominate_stores_the_id_number_encrypted_hashed_and_masked(world):
    number = id_number(7)
    assessor = nominate(world.inst_admin, number=number)
    assert assessor.state == AssessorState.NOMINATED
    assert number not in assessor.id_number_encrypted
    assert personal_data.decrypt(assessor.id_number_encrypted) == number
    assert assessor.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    assert len(assessor.id_number_hash) == 64
    assert assessor.user.role == "assessor" and assessor.user.institution_id == world.inst.pk
    assert assessor.user.has_usable_password() is False


def test_nominate_refuses_an_id_number_with_a_wrong_check_digit(world):
    number = id_number(8)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    before = Assessor.objects.count()
    with pytest.raises(InvalidInput) as exc:
        nominate(world.inst_admin, number=wrong)
    assert exc.value.field == "id_number"
    assert "check digit" in str(exc.value.message)
    assert Assessor.objects.count() == before


def test_register_gives_a_number_and_publishes(world, client):
    assessor = nominate(world.inst_admin, name="李登记")
    services.assessor_register(assessor_id=assessor.pk, actor=world.center, now=T0)
    assessor.refresh_from_db()
    assert (assessor.state, assessor.registration_number) == (
        AssessorState.REGISTERED,
        f"PJ2026{assessor.pk:06d}",
    )
    page = client.get("/assessors/", {"q": "李登记"}).content.decode()
    assert assessor.registration_number in page and assessor.id_number_masked in page
    data = APIClient().get("/api/v1/public/assessors/", {"q": "李登记"}).json()
    assert [(r["name"], r["id_number"]) for r in data["results"]] == [
        ("李登记", assessor.id_number_masked)
    ]


def test_only_the_center_registers(world):
    assessor = nominate(world.inst_admin)
    with pytest.raises(NotPermitted):
        services.assessor_register(assessor_id=assessor.pk, actor=world.inst_admin, now=T0)


def test_one_person_one_institution_with_a_clear_message(world):
    number = id_number(11)
    first = nominate(world.inst_admin, number=number)
    services.assessor_register(assessor_id=first.pk, actor=world.center, now=T0)
    with pytest.raises(Conflict) as exc:
        nominate(world.other_admin, number=number, username="again")
    assert "only one institution at a time (R§10)" in str(exc.value.message)
    assert Assessor.objects.filter(institution=world.other_inst, full_name="张评价").count() == 0
    # Released, the person may be nominated elsewhere (with the ID in another spelling).
    services.assessor_remove(
        assessor_id=first.pk, actor=world.inst_admin, explanation="合同到期。", now=T0
    )
    second = nominate(world.other_admin, number=number.lower(), username="again")
    assert second.institution_id == world.other_inst.pk
    first.user.refresh_from_db()
    assert first.user.is_active is False


def test_one_person_one_institution_is_a_database_constraint(world):
    a = nominate(world.inst_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessor.objects.create(
            user=world.other_admin,
            institution=world.other_inst,
            id_number_hash=a.id_number_hash,
            state=AssessorState.NOMINATED,
        )


def test_nomination_page_and_api_answer_bad_input_without_storing(world, client):
    client.force_login(world.inst_admin)
    data = {
        "full_name": "王五",
        "id_number": "110105198001010000",
        "username": "wangwu",
        "email": "w@example.cn",
        "contract_type": "labour",
        "full_time": "yes",
    }
    response = client.post("/institutions/assessors/nominate/", data)
    assert response.status_code == 400
    assert "check digit" in response.content.decode()
    api = APIClient()
    api.force_authenticate(world.inst_admin)
    response = api.post(
        "/api/v1/assessors/", {**data, "full_time": True, "id_number": id_number(21)}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["id_number"].count("*") == 10
    assert Assessor.objects.filter(full_name="王五").count() == 1


def test_personal_data_key_check(settings):
    from institutions.checks import personal_data_key_configured, personal_data_key_well_formed

    settings.PERSONAL_DATA_KEY = "not-a-key"
    assert [e.id for e in personal_data_key_well_formed(None)] == ["institutions.E001"]
    settings.PERSONAL_DATA_KEY = ""
    assert [e.id for e in personal_data_key_configured(None)] == ["institutions.W001"]
    from cryptography.fernet import Fernet

    settings.PERSONAL_DATA_KEY = Fernet.generate_key().decode()
    assert personal_data_key_well_formed(None) == personal_data_key_configured(None) == []
