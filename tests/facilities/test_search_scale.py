"""A ward's data (30 facilities, four weeks of slots for three age classes, many bookings):
the search page stays a handful of queries and answers quickly on PostgreSQL."""

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.facilities.conftest import day
from tsuen.booking.models import Booking, BookingKind
from tsuen.facilities.models import PlaceSlot
from tsuen.facilities.services import free_places

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

TIMES = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17)))


def ward_data(ward, guardian, household):
    facilities = [f.facility(ward, name=f"園{n:02d}", name_kana=f"エン{n:02d}") for n in range(30)]
    slots = PlaceSlot.objects.bulk_create(
        PlaceSlot(facility=fac, date=day(d), starts_at=s, ends_at=e, age_class=c, capacity=3)
        for fac in facilities
        for d in range(28)
        for s, e in TIMES
        for c in (0, 1, 2)
    )
    children = [f.child(household) for _ in range(30)]
    tz = timezone.get_current_timezone()
    bookings = []
    for slot in (s for s in slots if s.age_class == 1):
        # one child per facility: one booking per day and time, never overlapping
        child = children[slot.facility_id % 30]
        starts = dt.datetime.combine(slot.date, slot.starts_at, tzinfo=tz)
        bookings.append(
            Booking(
                child=child,
                facility_id=slot.facility_id,
                place_slot=slot,
                date=slot.date,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                kind=BookingKind.FLEXIBLE,
                billable_minutes=120,
                booked_by=guardian,
            )
        )
    Booking.objects.bulk_create(bookings)
    return facilities


def test_a_wards_search_is_a_few_fast_queries(client, ward, family, django_assert_max_num_queries):
    guardian, household, _ = family
    facilities = ward_data(ward, guardian, household)
    # every class-1 slot has one booking: per facility 26 open days (two national holidays)
    # x 2 times x (3 + 2 + 3) places
    assert free_places([fac.pk for fac in facilities], day(0)) == {
        fac.pk: 26 * 2 * 8 for fac in facilities
    }
    params = {"free_places": "on", "age_class": "1", "weekday": "3", "time_of_day": "morning"}
    client.get(reverse("facilities:search"), params)  # warm up
    with django_assert_max_num_queries(5):
        started = time.perf_counter()
        response = client.get(reverse("facilities:search"), params)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 1.5, f"the search took {elapsed:.2f}s"
