from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from tsuen.rules import (
    JST,
    Policy,
    RuleError,
    cancellation_counts,
    cancellation_deadline,
    is_late_cancellation,
)

POLICY = Policy(2026)
VISIT = date(2026, 5, 12)


def test_default_deadline_is_the_previous_day_at_17():
    assert cancellation_deadline(VISIT, POLICY) == datetime(2026, 5, 11, 17, 0)


def test_deadline_across_a_month_and_year_start():
    assert cancellation_deadline(date(2026, 6, 1), POLICY) == datetime(2026, 5, 31, 17, 0)
    assert cancellation_deadline(date(2027, 1, 1), POLICY) == datetime(2026, 12, 31, 17, 0)


@pytest.mark.parametrize(
    ("cancelled_at", "late"),
    [
        (datetime(2026, 5, 11, 16, 59, 59), False),
        (datetime(2026, 5, 11, 17, 0, 0), False),  # at the deadline is still on time
        (datetime(2026, 5, 11, 17, 0, 1), True),
        (datetime(2026, 5, 12, 8, 0), True),
        (datetime(2026, 5, 11, 8, 0, tzinfo=UTC), False),  # 17:00 JST
        (datetime(2026, 5, 11, 8, 0, 1, tzinfo=UTC), True),
        (datetime(2026, 5, 11, 17, 0, tzinfo=JST), False),
        (datetime(2026, 5, 11, 4, 0, tzinfo=timezone(timedelta(hours=-4))), False),  # 17:00 JST
        (datetime(2026, 5, 11, 4, 1, tzinfo=timezone(timedelta(hours=-4))), True),
    ],
)
def test_late_cancellation(cancelled_at, late):
    assert is_late_cancellation(VISIT, cancelled_at, POLICY) is late
    assert cancellation_counts(VISIT, cancelled_at, POLICY) is late


def test_deadline_is_a_setting():
    policy = Policy(2026, cancel_deadline_days_before=0, cancel_deadline_time=time(9, 0))
    assert cancellation_deadline(VISIT, policy) == datetime(2026, 5, 12, 9, 0)
    assert not is_late_cancellation(VISIT, datetime(2026, 5, 12, 9, 0), policy)
    assert is_late_cancellation(VISIT, datetime(2026, 5, 12, 9, 1), policy)


def test_late_cancellations_may_be_set_not_to_count():
    policy = Policy(2026, late_cancellation_counts=False)
    late = datetime(2026, 5, 12, 8, 0)
    assert is_late_cancellation(VISIT, late, policy)
    assert not cancellation_counts(VISIT, late, policy)


def test_bad_cancellation_inputs():
    with pytest.raises(RuleError) as err:
        is_late_cancellation(VISIT, date(2026, 5, 11), POLICY)
    assert err.value.code == "value_invalid"
    with pytest.raises(RuleError) as err:
        cancellation_deadline(datetime(2026, 5, 12, 9, 0), POLICY)
    assert err.value.code == "value_invalid"
