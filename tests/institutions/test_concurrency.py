"""R§10 on PostgreSQL: two institutions nominating the same person at the same instant — one
nomination is stored, the other gets the clear 409, and the constraint holds."""

import pytest

from ietsportal.errors import Conflict
from institutions.models import Assessor

from ..applications.test_concurrency import run_together
from ..conftest import T0, needs_postgres
from .conftest import id_number, nominate

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_nominations_of_one_person_store_one(world):
    number = id_number(777)
    results = run_together(
        lambda: nominate(world.inst_admin, number=number, username="same-a", now=T0),
        lambda: nominate(world.other_admin, number=number, username="same-b", now=T0),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, Conflict) and error.field == "id_number"
    assert Assessor.objects.exclude(state="removed").filter(full_name="张评价").count() == 1
