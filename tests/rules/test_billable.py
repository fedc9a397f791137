from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import (
    Policy,
    RuleError,
    billable_minutes,
    round_up_to_billing_grid,
    validate_booking_length,
)

from .factories import PROPERTY

POLICY = Policy(2026)
JST = timezone(timedelta(hours=9))


def at(hour, minute=0, second=0, tz=None):
    return datetime(2026, 5, 11, hour, minute, second, tzinfo=tz)


@pytest.mark.parametrize(
    ("minutes", "billed"),
    [(1, 60), (30, 60), (59, 60), (60, 60), (61, 90), (89, 90), (90, 90), (91, 120), (600, 600)],
)
def test_at_least_an_hour_then_half_hours_rounded_up(minutes, billed):
    assert billable_minutes(0, minutes, POLICY) == billed
    assert billable_minutes(at(9), at(9) + timedelta(minutes=minutes), POLICY) == billed


def test_other_minimum_and_step():
    policy = Policy(2026, billing_minimum_minutes=120, billing_step_minutes=60)
    assert billable_minutes(0, 121, policy) == 180
    assert billable_minutes(0, 60, policy) == 120
    policy = Policy(2026, billing_minimum_minutes=30, billing_step_minutes=15)
    assert billable_minutes(0, 31, policy) == 45


def test_seconds_are_dropped_from_clock_times():
    assert billable_minutes(at(9, 0, 40), at(10, 0, 10), POLICY) == 60
    assert billable_minutes(at(9, 0, 10), at(10, 0, 50), POLICY) == 60
    assert billable_minutes(at(9, 0, 59), at(10, 1, 0), POLICY) == 90
    assert billable_minutes(at(9, 0, 10), at(9, 0, 50), POLICY) == 60


def test_aware_times_in_different_zones():
    start = at(9, tz=JST)
    end = datetime(2026, 5, 11, 1, 31, tzinfo=UTC)  # 10:31 JST
    assert billable_minutes(start, end, POLICY) == 120


def test_visit_across_midnight():
    assert billable_minutes(at(23), at(23) + timedelta(hours=2), POLICY) == 120


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (at(10), at(10), "visit_end_not_after_start"),
        (at(10), at(9), "visit_end_not_after_start"),
        (600, 600, "visit_end_not_after_start"),
        (600, 540, "visit_end_not_after_start"),
        (at(9), at(10, tz=JST), "time_kinds_mixed"),
        (at(9, tz=JST), at(10), "time_kinds_mixed"),
        (540, at(10), "time_kinds_mixed"),
        (at(9), 600, "time_kinds_mixed"),
        ("09:00", "10:00", "value_invalid"),
        (True, 600, "value_invalid"),
        (9.0, 10.0, "value_invalid"),
    ],
)
def test_bad_visit_times(start, end, code):
    for func in (billable_minutes, validate_booking_length):
        with pytest.raises(RuleError) as err:
            func(start, end, POLICY)
        assert err.value.code == code


def test_round_up_to_billing_grid_refuses_negative_minutes():
    with pytest.raises(RuleError) as err:
        round_up_to_billing_grid(-1, POLICY)
    assert err.value.code == "value_invalid"


@PROPERTY
@given(st.integers(0, 1440), st.integers(1, 900))
def test_billed_time_covers_the_visit_and_sits_on_the_grid(start, length):
    billed = billable_minutes(start, start + length, POLICY)
    assert billed >= length
    assert billed >= POLICY.billing_minimum_minutes
    assert (billed - POLICY.billing_minimum_minutes) % POLICY.billing_step_minutes == 0
    assert billed - max(length, 60) < POLICY.billing_step_minutes


# Bookings.


@pytest.mark.parametrize("minutes", [60, 90, 120, 150, 600])
def test_bookings_on_the_grid_are_accepted(minutes):
    assert validate_booking_length(0, minutes, POLICY) == minutes
    assert validate_booking_length(at(9), at(9) + timedelta(minutes=minutes), POLICY) == minutes


@pytest.mark.parametrize("minutes", [1, 30, 59])
def test_bookings_under_the_minimum_are_refused(minutes):
    with pytest.raises(RuleError) as err:
        validate_booking_length(600, 600 + minutes, POLICY)
    assert err.value.code == "booking_too_short"


@pytest.mark.parametrize("minutes", [61, 75, 89, 91, 100])
def test_bookings_off_the_grid_are_refused(minutes):
    with pytest.raises(RuleError) as err:
        validate_booking_length(600, 600 + minutes, POLICY)
    assert err.value.code == "booking_off_step_grid"


def test_booking_with_stray_seconds_is_off_the_grid():
    with pytest.raises(RuleError) as err:
        validate_booking_length(at(9), at(10, 0, 30), POLICY)
    assert err.value.code == "booking_off_step_grid"
