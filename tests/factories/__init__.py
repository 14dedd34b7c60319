import itertools
from datetime import date

import factory
from django.contrib.auth import get_user_model
from stdnum.cn import uscc as uscc_check

from ietsportal.accounts.enums import OrganizationType, Role
from ietsportal.accounts.models import Organization
from institutions.enums import AssessorState, InstitutionLevel, InstitutionState
from institutions.models import Assessor, Institution

_serial = itertools.count(1)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(region: str = "110108", kind: str = "91") -> str:
    n = next(_serial)
    body = kind + region + "MA" + "".join(ALPHABET[(n // 31**i) % 31] for i in range(7))
    return body + uscc_check.calc_check_digit(body)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    uscc = factory.LazyAttribute(lambda o: make_uscc(o.region + "0108"))
    org_type = OrganizationType.ENTERPRISE
    region = "11"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试评价机构{n}")
    uscc = factory.LazyFunction(lambda: make_uscc("100000", "12"))
    level = InstitutionLevel.NATIONAL
    region = ""
    established_on = date(2015, 1, 1)
    state = InstitutionState.APPROVED

    class Params:
        local = factory.Trait(level=InstitutionLevel.LOCAL, region="44")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")
    role = Role.APPLICANT
    organization = factory.SubFactory(OrganizationFactory)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    class Params:
        center = factory.Trait(role=Role.CENTER_STAFF, organization=None)
        expert = factory.Trait(role=Role.EXPERT, organization=None)
        institution_admin = factory.Trait(role=Role.INSTITUTION_ADMIN, organization=None)
        assessor = factory.Trait(role=Role.ASSESSOR, organization=None)


def assessor(institution, **kwargs):
    """A registered assessor of `institution` (R§10–11)."""
    user = UserFactory(assessor=True, institution=institution, **kwargs)
    Assessor.objects.create(
        user=user,
        institution=institution,
        registration_number=f"PJ-{user.pk:06d}",
        state=AssessorState.REGISTERED,
    )
    return user


def staff_to_bar(institution, *, prefix: str = ""):
    """Pad `institution`'s roster with registered full-time assessors up to the R§8 bar
    (settings.INSTITUTION_STAFFING), in two INSERTs: the fixtures' institutions are then
    compliant for the staffing check, as real ones must be."""
    from django.conf import settings

    bar = settings.INSTITUTION_STAFFING[institution.level]
    registered = Assessor.objects.filter(institution=institution, state=AssessorState.REGISTERED)
    missing = max(
        bar["assessors"] - registered.count(),
        bar["full_time"] - registered.filter(full_time=True).count(),
        0,
    )
    prefix = prefix or f"roster{institution.pk}-"
    users = get_user_model().objects.bulk_create(
        [
            get_user_model()(
                username=f"{prefix}{i}",
                password="!",
                role=Role.ASSESSOR,
                institution=institution,
            )
            for i in range(1, missing + 1)
        ]
    )
    Assessor.objects.bulk_create(
        [
            Assessor(
                user=user,
                institution=institution,
                registration_number=f"PJ-{user.pk:06d}",
                state=AssessorState.REGISTERED,
            )
            for user in users
        ]
    )
    return users
