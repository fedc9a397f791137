"""No booking path lands on a national holiday or a closure day unless the facility opened the
holiday explicitly (``facilities.calendar``): flexible and sibling bookings, regular-use
allocation, the waitlist. Slots on the holiday exist here (made before the rule, or by hand),
as the demo once made them: the slot alone must not open the day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests import factories as f
from tests.booking.scene import class_of, scene, sibling
from tsuen.accounts.models import Role
from tsuen.booking import regular_staff, services, waitlist
from tsuen.booking.models import (
    Booking,
    BookingStatus,
    RegularUseRequest,
    WaitlistEntry,
    WaitlistStatus,
)
from tsuen.core import clock
from tsuen.facilities.models import ClosureDay, HolidayOpening

pytestmark = pytest.mark.django_db
T = dt.time
SEIJIN = dt.date(2027, 1, 11)  # 成人の日, a Monday
NOW = dt.datetime(2027, 1, 4, 10, 0, tzinfo=timezone.get_fixed_timezone(9 * 60))


@pytest.fixture(autouse=True)
def _english_and_frozen():
    with translation.override("en"), clock.frozen(NOW):
        yield


def open_holiday(s):
    HolidayOpening.objects.create(facility=s.facility, date=s.day)


def test_a_flexible_booking_on_a_holiday_is_refused_unless_the_facility_opened_it():
    s = scene(day=SEIJIN)
    with pytest.raises(services.BookingRefused) as caught:
        services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert caught.value.code == "facility_closed"
    assert (
        caught.value.message == "The facility is closed on this day (National holiday (成人の日))."
    )
    assert not Booking.objects.exists()
    assert services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(12)).problems[0].code == (
        "facility_closed"
    )
    open_holiday(s)
    booking = services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert booking.date == SEIJIN


def test_a_closure_on_an_opened_holiday_still_closes_it():
    s = scene(day=SEIJIN)
    open_holiday(s)
    ClosureDay.objects.create(facility=s.facility, date=SEIJIN, reason="研修")
    with pytest.raises(services.BookingRefused) as caught:
        services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert caught.value.message == "The facility is closed on this day (研修)."


def test_siblings_are_not_booked_on_a_holiday():
    s = scene(day=SEIJIN)
    birth = s.child.birth_date - dt.timedelta(days=365)
    younger = sibling(s.fam, s.facility, s.day, staff=s.staff, birth_date=birth)
    f.place_slot(s.facility, s.day, age_class=class_of(birth, s.day), capacity=3)
    with pytest.raises(services.BookingRefused) as caught:
        services.book_siblings(s.user, [s.child.pk, younger.pk], s.slot.pk, T(10), T(12))
    assert "facility_closed" in {p.code for p in caught.value.problems}
    assert not Booking.objects.exists()


def _regular_world():
    s = scene(day=SEIJIN)
    s.facility.offers_regular = True
    s.facility.save()
    mondays = [dt.date(2027, 1, 18), dt.date(2027, 1, 25)]
    for day in mondays:
        f.place_slot(s.facility, day, age_class=s.slot.age_class)
    made = RegularUseRequest.objects.create(
        child=s.child,
        facility=s.facility,
        weekday=0,
        starts_at=T(9),
        ends_at=T(11),
        period_from=SEIJIN,
        period_to=mondays[-1],
        requested_by=s.user,
    )
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    return s, made, staff


def test_regular_allocation_skips_a_holiday_with_its_reason():
    """The reported case: allocation booked 2027-01-11 (成人の日) because a slot existed."""
    _s, made, staff = _regular_world()
    allocation = _allocate(staff, made.pk)
    outcomes = {o.day: o for o in allocation.outcomes}
    assert not outcomes[SEIJIN].ok
    assert outcomes[SEIJIN].reasons == (
        "The facility is closed on this day (National holiday (成人の日)).",
    )
    assert sorted(o.day for o in allocation.created) == [
        dt.date(2027, 1, 18),
        dt.date(2027, 1, 25),
    ]
    assert not Booking.objects.filter(date=SEIJIN).exists()


def test_regular_allocation_names_the_holiday_even_without_a_slot():
    s, made, staff = _regular_world()
    s.slot.delete()
    allocation = _allocate(staff, made.pk)
    [holiday] = [o for o in allocation.outcomes if o.day == SEIJIN]
    assert "成人の日" in holiday.reasons[0]


def test_the_waitlist_of_a_holiday_slot_cannot_be_joined():
    s = scene(day=SEIJIN, capacity=1)
    open_holiday(s)
    s.fill()
    HolidayOpening.objects.filter(facility=s.facility).delete()  # closed again (by hand)
    with pytest.raises(waitlist.WaitlistRefused, match="closed on this day"):
        waitlist.join(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert not WaitlistEntry.objects.exists()


def test_no_offer_is_made_for_a_place_on_a_closed_day():
    s = scene(day=SEIJIN, capacity=1)
    open_holiday(s)
    [taken] = s.fill()
    entry = waitlist.join(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    ClosureDay.objects.create(facility=s.facility, date=SEIJIN, reason="停電")
    taken.status = BookingStatus.CANCELLED_BY_FACILITY
    taken.save()
    assert waitlist.offer_next(s.slot) == []
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def _allocate(staff, request_id):
    """Allocate as the page does: confirm the proposal shown."""
    token = regular_staff.request_page(staff, request_id).proposal.token
    return regular_staff.allocate(staff, request_id, confirm_token=token)
