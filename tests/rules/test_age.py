import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import (
    RuleError,
    age_class,
    age_in_months_on,
    age_on,
    national_last_day,
    reaches_age_on,
    reaches_months_on,
)

from .factories import PROPERTY

D = date
ONE = timedelta(days=1)
births = st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31))


def reference_reaches_age_on(birth: date, years: int) -> date:
    """Written independently: the day before the birthday, a 29 February birthday in a common
    year being treated as 1 March (the period ends on the last day of February)."""
    year = birth.year + years
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return D(year, 3, 1) - ONE
    return D(year, birth.month, birth.day) - ONE


# The brief's published examples.


def test_born_2024_04_10_reaches_3_on_the_eve_and_may_attend_until_2027_04_08():
    assert reaches_age_on(D(2024, 4, 10), 3) == D(2027, 4, 9)
    assert national_last_day(D(2024, 4, 10)) == D(2027, 4, 8)


@pytest.mark.parametrize("month", range(1, 13))
def test_born_on_the_3rd_may_attend_until_the_1st(month):
    assert national_last_day(D(2024, month, 3)) == D(2027, month, 1)


def test_born_29_february_reaches_3_on_28_february_and_last_day_is_27_february():
    assert reaches_age_on(D(2024, 2, 29), 3) == D(2027, 2, 28)
    assert national_last_day(D(2024, 2, 29)) == D(2027, 2, 27)


def test_born_29_february_in_a_leap_year_reaches_4_on_28_february_too():
    # 2028 is leap, so the 4th birthday exists: the eve is 28 February either way.
    assert reaches_age_on(D(2024, 2, 29), 4) == D(2028, 2, 28)
    assert reaches_age_on(D(2024, 2, 29), 1) == D(2025, 2, 28)


def test_born_1_march_reaches_an_age_on_the_last_day_of_february():
    assert reaches_age_on(D(2024, 3, 1), 1) == D(2025, 2, 28)
    assert reaches_age_on(D(2023, 3, 1), 1) == D(2024, 2, 29)


def test_born_1_january_reaches_an_age_on_31_december():
    assert reaches_age_on(D(2024, 1, 1), 3) == D(2026, 12, 31)
    assert age_on(D(2024, 1, 1), D(2026, 12, 30)) == 2
    assert age_on(D(2024, 1, 1), D(2026, 12, 31)) == 3


def test_reaches_age_0_as_the_birth_day_begins():
    assert reaches_age_on(D(2024, 4, 10), 0) == D(2024, 4, 9)


# Age on a day.


def test_age_is_reached_on_the_day_before_the_birthday():
    birth = D(2024, 4, 10)
    assert age_on(birth, D(2027, 4, 8)) == 2
    assert age_on(birth, D(2027, 4, 9)) == 3
    assert age_on(birth, D(2027, 4, 10)) == 3


def test_age_on_the_birth_day_is_zero():
    assert age_on(D(2024, 4, 10), D(2024, 4, 10)) == 0
    assert age_in_months_on(D(2024, 4, 10), D(2024, 4, 10)) == 0


def test_age_in_months_follows_the_same_law():
    birth = D(2025, 4, 10)
    assert reaches_months_on(birth, 6) == D(2025, 10, 9)
    assert age_in_months_on(birth, D(2025, 10, 8)) == 5
    assert age_in_months_on(birth, D(2025, 10, 9)) == 6


@pytest.mark.parametrize(
    ("birth", "six_months"),
    [
        # February has no 29th..31st in 2026: the period ends on its last day.
        (D(2025, 8, 28), D(2026, 2, 27)),
        (D(2025, 8, 29), D(2026, 2, 28)),
        (D(2025, 8, 30), D(2026, 2, 28)),
        (D(2025, 8, 31), D(2026, 2, 28)),
        (D(2025, 9, 1), D(2026, 2, 28)),
        # 2028 is leap: a 29 August birth has a corresponding day, a 31 August one does not.
        (D(2027, 8, 29), D(2028, 2, 28)),
        (D(2027, 8, 30), D(2028, 2, 29)),
        (D(2027, 8, 31), D(2028, 2, 29)),
        # Months of 30 days.
        (D(2025, 10, 31), D(2026, 4, 30)),
        (D(2025, 10, 30), D(2026, 4, 29)),
        (D(2024, 2, 29), D(2024, 8, 28)),
    ],
)
def test_six_months_at_month_ends(birth, six_months):
    assert reaches_months_on(birth, 6) == six_months
    assert age_in_months_on(birth, six_months - ONE) == 5
    assert age_in_months_on(birth, six_months) == 6


def test_years_and_months_agree():
    birth = D(2024, 2, 29)
    for n in range(5):
        assert reaches_age_on(birth, n) == reaches_months_on(birth, 12 * n)


def test_reaches_age_on_matches_an_independent_reading_of_the_law_for_every_birth_day():
    day = D(2019, 1, 1)
    while day <= D(2029, 12, 31):
        for years in (1, 2, 3):
            assert reaches_age_on(day, years) == reference_reaches_age_on(day, years), day
        day += ONE


@PROPERTY
@given(births, st.integers(0, 2000), st.integers(0, 60))
def test_age_on_is_the_count_of_ages_reached_by_that_day(birth, offset, gap):
    on = birth + timedelta(days=offset)
    expected = max(n for n in range(0, 7) if reaches_age_on(birth, n) <= on)
    assert age_on(birth, on) == expected
    later = on + timedelta(days=gap)
    assert age_on(birth, later) >= age_on(birth, on)
    assert age_in_months_on(birth, later) >= age_in_months_on(birth, on)


@PROPERTY
@given(births, st.integers(0, 1500))
def test_age_in_months_is_exact(birth, offset):
    on = birth + timedelta(days=offset)
    months = age_in_months_on(birth, on)
    assert reaches_months_on(birth, months) <= on or months == 0
    assert reaches_months_on(birth, months + 1) > on


@PROPERTY
@given(births)
def test_under_3_ends_exactly_on_the_national_last_day(birth):
    last = national_last_day(birth)
    assert age_on(birth, last) == 2
    assert age_on(birth, last + ONE) == 3


# Age class (クラス年齢).


def test_fy2026_zero_class_starts_with_births_on_2_april_2025():
    assert age_class(D(2025, 4, 1), 2026) == 1
    assert age_class(D(2025, 4, 2), 2026) == 0


@pytest.mark.parametrize(
    ("birth", "klass"),
    [
        (D(2023, 4, 1), 3),
        (D(2023, 4, 2), 2),
        (D(2024, 4, 1), 2),
        (D(2024, 4, 2), 1),
        (D(2025, 3, 31), 1),
        (D(2026, 3, 31), 0),  # born the day before the year starts
        (D(2026, 4, 1), 0),  # born on the first day of the year
        (D(2027, 3, 31), 0),  # born on its last day
        (D(2024, 2, 29), 2),
    ],
)
def test_age_class_fy2026(birth, klass):
    assert age_class(birth, 2026) == klass


@PROPERTY
@given(births, st.integers(2016, 2031))
def test_age_class_is_the_age_on_31_march(birth, fy):
    if birth > D(fy + 1, 3, 31):
        return
    expected = 0 if birth > D(fy, 3, 31) else age_on(birth, D(fy, 3, 31))
    assert age_class(birth, fy) == expected


# Errors.


def test_birth_after_the_day_is_an_error():
    with pytest.raises(RuleError) as err:
        age_on(D(2026, 5, 2), D(2026, 5, 1))
    assert err.value.code == "birth_after_date"
    with pytest.raises(RuleError) as err:
        age_in_months_on(D(2026, 5, 2), D(2026, 5, 1))
    assert err.value.code == "birth_after_date"


def test_birth_after_the_fiscal_year_has_no_age_class():
    with pytest.raises(RuleError) as err:
        age_class(D(2027, 4, 1), 2026)
    assert err.value.code == "birth_after_date"


@pytest.mark.parametrize("func", [reaches_age_on, reaches_months_on])
def test_negative_ages_are_errors(func):
    with pytest.raises(RuleError) as err:
        func(D(2024, 1, 1), -1)
    assert err.value.code == "age_negative"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: reaches_age_on("2024-01-01", 3), "value_invalid"),
        (lambda: reaches_age_on(D(2024, 1, 1), 3.0), "value_invalid"),
        (lambda: reaches_age_on(D(2024, 1, 1), True), "value_invalid"),
        (lambda: reaches_months_on(D(2024, 1, 1), "6"), "value_invalid"),
        (lambda: age_on(D(2024, 1, 1), "2026-01-01"), "value_invalid"),
        (lambda: age_class(D(2024, 1, 1), "2026"), "fiscal_year_invalid"),
        (lambda: reaches_age_on(D(9998, 1, 1), 3), "date_out_of_range"),
    ],
)
def test_bad_inputs_raise_rule_errors(call, code):
    with pytest.raises(RuleError) as err:
        call()
    assert err.value.code == code
