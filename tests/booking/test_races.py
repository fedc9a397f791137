"""Correctness under load, on PostgreSQL with real parallel requests.

Each thread is one guardian's phone: its own Django test client, its own database connection
(closed at the end), the whole request stack (middleware, view, service, transaction). A
barrier releases all threads at once. The control runs switch ``services.LOCKING`` off and
hold every request between its recount and its write until all have recounted: they *must*
oversell, which proves these tests can see the bug they guard against.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tests.booking.scene import class_of, family, set_policy
from tests.parallel import race
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.booking import services
from tsuen.booking.models import Booking, BookingStatus
from tsuen.core import clock, tenancy

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

RACERS = 20


@pytest.fixture
def unlocked(monkeypatch):
    """The control: no locks, and every request waits between recount and write until all
    the racers have recounted (a timeout lets stragglers through rather than hang)."""
    barrier = threading.Barrier(RACERS, timeout=10)

    def hold():
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    monkeypatch.setattr(services, "LOCKING", False)
    monkeypatch.setattr(services, "before_write", hold)


@pytest.fixture
def locked(monkeypatch):
    """With locks, a pause between recount and write: any request that does not queue behind
    the lock would recount during the pause and oversell."""
    monkeypatch.setattr(services, "before_write", lambda: time.sleep(0.2))


def _day():
    return clock.today() + dt.timedelta(days=3)


def _form(slot, child, start, end):
    return (
        reverse("booking:book") + f"?slot={slot.pk}",
        {
            "slot": slot.pk,
            "children": [child.pk],
            "start": start,
            "end": end,
            "step": "confirm",
        },
    )


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def last_place_race():
    """Twenty families, each with a certified child who passed the interview, and a slot with
    one place left."""
    with tenancy.cross_tenant("test set-up"):
        day = _day()
        muni = f.municipality()
        set_policy(muni, fy=rules.fiscal_year_of(day))
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
        facility = f.facility(muni)
        families = [family(muni, facility, day, staff=staff) for _ in range(RACERS + 1)]
        age_class = class_of(families[0].child.birth_date, day)
        slot = f.place_slot(facility, day, age_class=age_class, capacity=2)
        first = families.pop()
        f.booking(first.child, slot, first.user)  # one of two places is taken
        requests = [(_client(x.user), *_form(slot, x.child, "10:00", "12:00")) for x in families]
    return slot, requests


def _confirmed(slot):
    with tenancy.cross_tenant("test check"):
        return Booking.unscoped.filter(place_slot=slot, status=BookingStatus.CONFIRMED).count()


def test_twenty_families_racing_for_the_last_place_get_exactly_one_booking(locked):
    slot, requests = last_place_race()
    codes = race(requests)
    assert codes.count(302) == 1, codes  # one booked and was sent to the list
    assert codes.count(400) == RACERS - 1  # the others read "no place left"
    assert _confirmed(slot) == slot.capacity


def test_control_without_locking_the_race_oversells(unlocked):
    slot, requests = last_place_race()
    codes = race(requests)
    assert codes.count(302) > 1, codes
    assert _confirmed(slot) > slot.capacity  # the bug the locks prevent


def one_child_many_facilities():
    """One child with 9 of 10 hours used this month; requests for one more hour each at two
    facilities, at times that do not overlap (so only the caps can refuse)."""
    with tenancy.cross_tenant("test set-up"):
        day = _day()
        muni = f.municipality()
        set_policy(muni, fy=rules.fiscal_year_of(day))
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
        a, b = f.facility(muni), f.facility(muni)
        fam = family(muni, a, day, staff=staff)
        f.interview(fam.child, b, fam.user)
        age_class = class_of(fam.child.birth_date, day)
        used_day = day.replace(day=1 if day.day != 1 else 2)  # same month, another day
        earlier = f.place_slot(f.facility(muni), used_day, age_class=age_class)
        f.booking(fam.child, earlier, fam.user, start=dt.time(8), end=dt.time(17))
        slots = {
            a: f.place_slot(a, day, age_class=age_class, capacity=RACERS,
                            starts_at=dt.time(0), ends_at=dt.time(23, 59)),
            b: f.place_slot(b, day, age_class=age_class, capacity=RACERS,
                            starts_at=dt.time(0), ends_at=dt.time(23, 59)),
        }  # fmt: skip
        requests = []
        for i in range(RACERS):
            slot = slots[a] if i % 2 == 0 else slots[b]
            hour = i + 1  # 01:00-02:00, 02:00-03:00 ... alternately at A and B
            start, end = f"{hour:02d}:00", f"{hour + 1:02d}:00"
            requests.append((_client(fam.user), *_form(slot, fam.child, start, end)))
    return fam, day, requests


def _used_this_month(child, day):
    with tenancy.cross_tenant("test check"):
        first, last = rules.month_bounds(day)
        return sum(
            services.counting_bookings([child.pk], first, last).values_list(
                "billable_minutes", flat=True
            )
        )


def test_one_child_booked_at_two_facilities_at_once_never_passes_a_cap(locked):
    fam, day, requests = one_child_many_facilities()
    codes = race(requests)
    assert codes.count(302) == 1, codes
    assert _used_this_month(fam.child, day) == 600


def test_control_without_locking_the_cap_race_breaks_the_cap(unlocked):
    fam, day, requests = one_child_many_facilities()
    race(requests)
    assert _used_this_month(fam.child, day) > 600


def double_submit():
    with tenancy.cross_tenant("test set-up"):
        day = _day()
        muni = f.municipality()
        set_policy(muni, fy=rules.fiscal_year_of(day))
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
        facility = f.facility(muni)
        fam = family(muni, facility, day, staff=staff)
        slot = f.place_slot(facility, day, age_class=class_of(fam.child.birth_date, day))
        # Two tabs of one guardian (a client each: the test client is not thread-safe).
        requests = [(_client(fam.user), *_form(slot, fam.child, "10:00", "12:00")) for _ in "ab"]
    return fam, requests


def test_a_form_submitted_twice_at_once_books_once_and_both_answers_say_booked(locked):
    fam, requests = double_submit()
    codes = race(requests)
    assert codes == [302, 302]
    with tenancy.cross_tenant("test check"):
        assert Booking.unscoped.filter(child=fam.child).count() == 1
