from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import (
    Period,
    RuleError,
    fiscal_year_bounds,
    fiscal_year_of,
    month_bounds,
    period_bounds,
    period_end,
)

from .factories import PROPERTY

D = date


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (D(2026, 3, 31), 2025),
        (D(2026, 4, 1), 2026),
        (D(2026, 12, 31), 2026),
        (D(2027, 1, 1), 2026),
        (D(2027, 3, 31), 2026),
        (D(2027, 4, 1), 2027),
    ],
)
def test_fiscal_year_runs_april_to_march(day, fy):
    assert fiscal_year_of(day) == fy


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(2026) == (D(2026, 4, 1), D(2027, 3, 31))
    assert fiscal_year_bounds(2027) == (D(2027, 4, 1), D(2028, 3, 31))


@PROPERTY
@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)))
def test_every_day_lies_in_the_bounds_of_its_fiscal_year_and_month(day):
    first, last = fiscal_year_bounds(fiscal_year_of(day))
    assert first <= day <= last
    first, last = month_bounds(day)
    assert first.day == 1 and first <= day <= last and last.month == day.month
    assert period_bounds(Period.MONTH, day) == month_bounds(day)
    assert period_bounds(Period.FISCAL_YEAR, day) == fiscal_year_bounds(fiscal_year_of(day))


def test_month_bounds_in_february():
    assert month_bounds(D(2028, 2, 10)) == (D(2028, 2, 1), D(2028, 2, 29))
    assert month_bounds(D(2027, 2, 10)) == (D(2027, 2, 1), D(2027, 2, 28))


def test_period_bounds_accepts_the_stored_string():
    assert period_bounds("fiscal_year", D(2027, 1, 5)) == (D(2026, 4, 1), D(2027, 3, 31))


@pytest.mark.parametrize(
    ("first", "months", "last"),
    [
        (D(2026, 4, 11), 6, D(2026, 10, 10)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 1, 28), 1, D(2026, 2, 27)),
        (D(2026, 3, 1), 12, D(2027, 2, 28)),
        (D(2026, 4, 1), 0, D(2026, 3, 31)),
    ],
)
def test_period_end_follows_civil_code_143(first, months, last):
    assert period_end(first, months) == last


@pytest.mark.parametrize("fy", [0, 9999, -1, "2026", 2026.0, True])
def test_bad_fiscal_years(fy):
    with pytest.raises(RuleError) as err:
        fiscal_year_bounds(fy)
    assert err.value.code == "fiscal_year_invalid"


def test_datetime_is_not_a_date_here():
    with pytest.raises(RuleError) as err:
        fiscal_year_of(datetime(2026, 4, 1, 9, 0))
    assert err.value.code == "value_invalid"


def test_period_end_errors():
    with pytest.raises(RuleError) as err:
        period_end(D(2026, 1, 1), -1)
    assert err.value.code == "age_negative"
    with pytest.raises(RuleError) as err:
        period_end(D(9999, 6, 1), 12)
    assert err.value.code == "date_out_of_range"
    with pytest.raises(RuleError) as err:
        period_end(D(1, 1, 1), 0)
    assert err.value.code == "date_out_of_range"
