import itertools
from datetime import date

import pytest
from stdnum.cn import ric

from institutions import services
from institutions.models import Expert

from ..conftest import T0
from ..factories import OrganizationFactory, UserFactory

_serial = itertools.count(1)


def id_number(n: int | None = None, region: str = "110105") -> str:
    """A valid resident identity number (GB 11643 check digit)."""
    n = next(_serial) if n is None else n
    body = f"{region}19{80 + n % 20:02d}0101{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def nominate(admin, *, name="张评价", number=None, full_time=True, now=T0, username=None):
    number = number or id_number()
    return services.assessor_nominate(
        actor=admin,
        full_name=name,
        id_number=number,
        username=username or f"nominee-{number[-8:]}",
        email=f"{number[-8:]}@example.cn",
        contract_type="labour",
        full_time=full_time,
        qualifications="高级工程师",
        now=now,
    )


DOSSIER = {
    "personnel": "专职评价人员 16 名。",
    "technical_means": "评价管理系统。",
    "infrastructure": "办公场所 500 平方米。",
    "declares_good_credit": True,
    "declares_independence": True,
}


def apply(user, *, level="national", region="", established_on=date(2020, 1, 1), now=T0, **kw):
    return services.designation_apply(
        actor=user,
        name=kw.pop("name", "新评价机构"),
        level=level,
        region=region,
        established_on=established_on,
        now=now,
        **{**DOSSIER, **kw},
    )


@pytest.fixture
def pool(world):
    """Expert profiles for the world's experts (the pool of M§8)."""
    return [
        Expert.objects.create(user=user, fields_of_expertise="信息系统集成")
        for user in world.experts
    ]


@pytest.fixture
def candidate(world):
    """An organisation and its user who apply to become an institution."""
    org = OrganizationFactory(name="北京丙评价咨询有限公司")
    return UserFactory(organization=org, username="would-be-institution")


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English: services run with English active, pages are asked
    for in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
