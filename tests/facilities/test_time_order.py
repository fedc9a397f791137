"""The weekly template keeps to the facility's opening hours and never overlaps itself; new
opening hours keep the template inside."""

import datetime as dt

import pytest
from django.utils import translation

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.facilities import services_staff as staff
from tsuen.facilities import services_ward as ward_services
from tsuen.facilities.checks import REGISTER_FIELDS
from tsuen.facilities.models import PlaceTemplate

pytestmark = pytest.mark.django_db
T = dt.time


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def fac(ward):
    return f.facility(ward, opens_at=T(8, 30), closes_at=T(18))


@pytest.fixture
def manager(fac):
    return f.user(Role.FACILITY_MANAGER, facility=fac)


def add(manager, start, end, weekday=1, age_class=1):
    return staff.add_template_slot(
        manager,
        weekday=weekday,
        starts_at=start,
        ends_at=end,
        age_class=age_class,
        places=3,
        staff_planned=1,
    )


@pytest.mark.parametrize("start, end", [(T(8), T(12)), (T(15), T(18, 30)), (T(7), T(19))])
def test_a_template_slot_outside_the_opening_hours_is_refused(fac, manager, start, end):
    with pytest.raises(staff.StaffRefused) as refused:
        add(manager, start, end)
    assert refused.value.messages == [
        "The facility is open from 08:30 to 18:00: the slot must fit inside."
    ]
    assert not PlaceTemplate.objects.exists()


def test_template_slots_of_one_weekday_and_class_do_not_overlap(fac, manager):
    add(manager, T(9), T(12))
    for start, end in ((T(11), T(13)), (T(9), T(12)), (T(8, 30), T(9, 30)), (T(10), T(11))):
        with pytest.raises(staff.StaffRefused) as refused:
            add(manager, start, end)
        assert refused.value.messages == [
            "This weekday already has a slot for this age class from 09:00 to 12:00: "
            "slots must not overlap."
        ]
    add(manager, T(12), T(15))  # back to back is fine
    add(manager, T(10), T(11), age_class=2)  # another class
    add(manager, T(10), T(11), weekday=2)  # another weekday
    assert PlaceTemplate.objects.count() == 4


def test_without_opening_hours_any_time_goes(ward):
    fac = f.facility(ward)
    add(f.user(Role.FACILITY_MANAGER, facility=fac), T(6), T(21))
    assert PlaceTemplate.objects.count() == 1


def test_new_opening_hours_must_hold_the_template(fac, manager):
    add(manager, T(8, 30), T(12))
    with pytest.raises(staff.StaffRefused) as refused:
        staff.update_profile(manager, {"opens_at": T(9), "closes_at": T(18)})
    assert refused.value.messages == [
        "The weekly template has a slot outside these hours (Monday 08:30 to 12:00): "
        "change or remove it first."
    ]
    fac.refresh_from_db()
    assert fac.opens_at == T(8, 30)
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=fac.municipality)
    values = {name: getattr(fac, name) for name in REGISTER_FIELDS} | {"opens_at": T(9)}
    with pytest.raises(staff.StaffRefused, match="outside these hours"):
        ward_services.update_facility(admin, fac.pk, values)
    staff.update_profile(manager, {"opens_at": T(8), "closes_at": T(17)})
    fac.refresh_from_db()
    assert fac.opens_at == T(8)
