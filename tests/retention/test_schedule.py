"""The retention schedule's arithmetic (pure functions, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from tsuen.retention.schedule import (
    DEFAULTS,
    RecordClass,
    check_period,
    cutoff,
    fiscal_year_end,
    months_before,
    payment_cutoff,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (D(2026, 4, 1), D(2027, 3, 31)),
        (D(2027, 3, 31), D(2027, 3, 31)),
        (D(2026, 12, 31), D(2027, 3, 31)),
        (D(2027, 1, 1), D(2027, 3, 31)),
    ],
)
def test_fiscal_year_end(day, end):
    assert fiscal_year_end(day) == end


@pytest.mark.parametrize(
    ("today", "years", "last_expired"),
    [
        # On 31 March FY2025 has not ended: records closed in FY2020 wait one more day.
        (D(2026, 3, 31), 5, D(2020, 3, 31)),
        (D(2026, 4, 1), 5, D(2021, 3, 31)),
        (D(2026, 12, 3), 5, D(2021, 3, 31)),
        (D(2027, 3, 31), 5, D(2021, 3, 31)),
        (D(2027, 4, 1), 7, D(2020, 3, 31)),
    ],
)
def test_payment_cutoff(today, years, last_expired):
    assert payment_cutoff(today, years) == last_expired
    # A record closed on the cutoff is kept until the end of its fiscal year + years.
    assert D(fiscal_year_end(last_expired).year + years, 3, 31) < today


@pytest.mark.parametrize(
    ("day", "months", "back"),
    [
        (D(2026, 3, 31), 1, D(2026, 2, 28)),
        (D(2024, 3, 31), 1, D(2024, 2, 29)),
        (D(2026, 12, 3), 12, D(2025, 12, 3)),
        (D(2026, 1, 15), 13, D(2024, 12, 15)),
    ],
)
def test_months_before(day, months, back):
    assert months_before(day, months) == back


def test_months_cutoff_keeps_the_whole_period():
    # Eligibility ended on 2 Dec 2025: kept through 2 Dec 2026, goes on 3 Dec 2026.
    assert cutoff(RecordClass.CARE_RECORDS, D(2026, 12, 3), 12) == D(2025, 12, 2)
    assert cutoff(RecordClass.CARE_RECORDS, D(2026, 12, 2), 12) == D(2025, 12, 1)


def test_defaults_are_the_councils_and_periods_only_lengthen():
    assert DEFAULTS[RecordClass.CERTIFICATIONS].period == 5
    assert DEFAULTS[RecordClass.EVIDENCE_FILES].period == 12
    for record_class, default in DEFAULTS.items():
        assert check_period(record_class, default.period) is None
        assert check_period(record_class, default.period - 1) == "too_short"
        assert check_period(record_class, default.maximum + 1) == "too_long"
