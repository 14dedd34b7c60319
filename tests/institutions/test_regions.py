"""M§10, R§3: a local institution accepts only applicants of its own region."""

import pytest
from rest_framework.test import APIClient

from applications.forms import ApplicationCreateForm
from ietsportal.errors import InvalidInput
from institutions.models import Institution

from ..factories import OrganizationFactory, UserFactory


def test_applicant_is_offered_only_eligible_institutions(world):
    beijing = list(ApplicationCreateForm(organization=world.org).fields["institution"].queryset)
    guangdong_org = OrganizationFactory(region="44")
    guangdong = list(
        ApplicationCreateForm(organization=guangdong_org).fields["institution"].queryset
    )
    assert sorted(i.name for i in beijing) == ["全国评价机构乙", "全国评价机构甲"]
    assert sorted(i.name for i in guangdong) == [
        "全国评价机构乙",
        "全国评价机构甲",
        "广东地方评价机构",
    ]


def test_local_institution_refuses_an_applicant_of_another_region(world, flow):
    with pytest.raises(InvalidInput) as exc:
        flow.draft(institution=world.local_inst)
    assert exc.value.field == "institution"


def test_local_institution_accepts_an_applicant_of_its_region(world, flow):
    org = OrganizationFactory(region="44")
    applicant = UserFactory(organization=org)
    app = flow.draft(applicant, institution=world.local_inst)
    assert app.institution_id == world.local_inst.pk


def test_api_available_lists_the_eligible_ones(world):
    api = APIClient()
    api.force_authenticate(world.applicant)
    names = [r["name"] for r in api.get("/api/v1/institutions/?available=1").json()["results"]]
    assert sorted(names) == ["全国评价机构乙", "全国评价机构甲"]
    assert Institution.objects.count() == 3
