"""A visit's billed minutes from its booked and real times, and what needs a reason."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import (
    CHECK_IN_AFTER_END,
    LONGER_THAN_BOOKED,
    OUTSIDE_OPENING_HOURS,
    Policy,
    RuleError,
    minutes_outside_booking,
    visit_billable_minutes,
    visit_time_warnings,
)

from .factories import PROPERTY

POLICY = Policy(2026)
JST = timezone(timedelta(hours=9))


def at(hour, minute=0, second=0):
    return datetime(2026, 11, 10, hour, minute, second, tzinfo=JST)


BOOKED = (at(10), at(12))


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "billed"),
    [
        (at(14, 41), at(14, 41, 30), 120),  # the phantom: tapped in and out long after the end
        (at(14, 41), at(15, 41), 180),  # a stay after the booking adds its own hour only
        (at(8), at(8, 30), 150),  # a stay before the booking adds its own half hour
        (at(10), at(12), 120),
        (at(10, 40), at(11, 20), 120),  # late arrival, early pick-up: the booking counts
        (at(10), at(12, 20), 150),  # a late pick-up extends, rounded up to the step
        (at(9, 45), at(12), 150),  # an early arrival too
        (at(9, 45), at(12, 15), 150),
        (at(10), at(12, 0, 59), 120),  # seconds do not count
        (None, None, 120),  # booked, not yet checked out
        (at(10), None, 120),
    ],
)
def test_the_booking_counts_and_only_real_time_outside_it_is_added(checked_in, checked_out, billed):
    assert visit_billable_minutes(*BOOKED, checked_in, checked_out, POLICY) == billed


def test_a_short_booking_still_bills_the_minimum():
    assert visit_billable_minutes(0, 30, 0, 30, POLICY) == 60
    assert visit_billable_minutes(0, 30, 0, 61, POLICY) == 90


def test_the_grid_follows_the_policy():
    fine = Policy(2026, billing_minimum_minutes=30, billing_step_minutes=15)
    assert visit_billable_minutes(600, 720, 600, 730, fine) == 135


def test_times_out_of_order_or_mixed_are_refused():
    with pytest.raises(RuleError) as error:
        visit_billable_minutes(*BOOKED, at(12), at(11), POLICY)
    assert error.value.code == "visit_end_not_after_start"
    with pytest.raises(RuleError) as error:
        minutes_outside_booking(*BOOKED, 600, 700)
    assert error.value.code == "time_kinds_mixed"


@given(
    booked=st.tuples(st.integers(0, 1400), st.integers(1, 600)),
    real=st.tuples(st.integers(0, 1400), st.integers(1, 600)),
)
@PROPERTY
def test_never_more_than_the_booking_plus_the_real_stay(booked, real):
    start, length = booked
    cin, stay = real
    billed = visit_billable_minutes(start, start + length, cin, cin + stay, POLICY)
    floor = visit_billable_minutes(start, start + length, None, None, POLICY)
    assert floor <= billed
    assert billed - length - stay < max(POLICY.billing_minimum_minutes, 30)
    assert 0 <= minutes_outside_booking(start, start + length, cin, cin + stay) <= stay


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "warnings"),
    [
        (at(10), None, ()),
        (at(10), at(12, 30), ()),  # one step beyond: no reason needed
        (at(10), at(12, 31), (LONGER_THAN_BOOKED,)),
        (at(9, 40), at(12, 10), ()),  # 20 + 10 minutes outside: one step
        (at(9, 40), at(12, 11), (LONGER_THAN_BOOKED,)),
        (at(12), None, (CHECK_IN_AFTER_END,)),
        (at(14, 41), at(14, 41, 30), (CHECK_IN_AFTER_END,)),
        (at(14, 41), at(16), (CHECK_IN_AFTER_END, LONGER_THAN_BOOKED)),
        (at(7, 59), None, (OUTSIDE_OPENING_HOURS,)),
        (at(10), at(18, 1), (LONGER_THAN_BOOKED, OUTSIDE_OPENING_HOURS)),
        (at(8), at(12), (LONGER_THAN_BOOKED,)),
    ],
)
def test_what_needs_a_reason(checked_in, checked_out, warnings):
    assert (
        visit_time_warnings(*BOOKED, checked_in, checked_out, POLICY, opens=at(8), closes=at(18))
        == warnings
    )


def test_without_opening_hours_only_the_booking_is_checked():
    assert visit_time_warnings(*BOOKED, at(6), None, POLICY) == ()
