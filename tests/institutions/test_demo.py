"""seed_demo (DESIGN.md public contract): compliant institutions, registered assessors with
protected ID numbers, an expert pool and a designation under review."""

import pytest
from django.core.management import call_command

from institutions import personal_data
from institutions.models import Assessor, Designation, Expert, Institution

pytestmark = pytest.mark.django_db


def test_seed_demo_institutions_assessors_and_experts(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--password", "pw-demo-1")
    national = Institution.objects.get(staff__username="inst-national")
    local = Institution.objects.get(staff__username="inst-local")
    assert (national.is_accepting, local.is_accepting) == (True, True)
    assert national.staffing_checked_at is not None
    a = Assessor.objects.get(user__username="nat-assessor1")
    number = personal_data.decrypt(a.id_number_encrypted)
    assert personal_data.normalise_id_number(number) == number
    assert a.id_number_masked == personal_data.mask(number)
    assert Assessor.objects.filter(state="registered", id_number_hash="").count() == 0
    assert sorted(Expert.objects.values_list("user__username", flat=True)) == [
        f"expert{i}" for i in range(1, 6)
    ]
    assert Expert.objects.filter(fields_of_expertise="").count() == 0
    designation = Designation.objects.get()
    assert (designation.institution.state, designation.opinions.count()) == ("under_review", 3)
