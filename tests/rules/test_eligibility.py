from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import (
    AGED_OUT,
    EXCLUDED_ENROLMENT,
    NATIONALLY_EXCLUDED,
    TOO_YOUNG,
    Eligibility,
    EligibilityWindow,
    Enrolment,
    Policy,
    RuleError,
    age_class,
    age_in_months_on,
    age_on,
    eligibility_on,
    eligibility_window,
    fiscal_year_of,
    reaches_age_on,
)

from .factories import PROPERTY, shinjuku_like

D = date
ONE = timedelta(days=1)
NATIONAL = Policy(2026)
SHINJUKU = shinjuku_like(2026)


def policy_for(day, extension=False):
    fy = fiscal_year_of(day)
    return shinjuku_like(fy) if extension else Policy(fy)


def ok_on(birth, day, extension=False, enrolments=()):
    return eligibility_on(birth, day, policy_for(day, extension), enrolments)


def test_window_for_the_brief_example():
    assert eligibility_window(D(2024, 4, 10), NATIONAL) == EligibilityWindow(
        first_day=D(2024, 10, 9), last_day=D(2027, 4, 8), national_last_day=D(2027, 4, 8)
    )


def test_first_day_is_the_day_six_months_are_reached():
    birth = D(2025, 10, 10)
    assert eligibility_window(birth, NATIONAL).first_day == D(2026, 4, 9)
    assert ok_on(birth, D(2026, 4, 8)) == Eligibility(False, TOO_YOUNG)
    assert ok_on(birth, D(2026, 4, 9)) == Eligibility(True, None)


@pytest.mark.parametrize(
    ("birth", "first"),
    [
        (D(2025, 8, 31), D(2026, 2, 28)),
        (D(2025, 8, 30), D(2026, 2, 28)),
        (D(2025, 8, 28), D(2026, 2, 27)),
        (D(2024, 2, 29), D(2024, 8, 28)),
        (D(2025, 9, 30), D(2026, 3, 29)),
    ],
)
def test_first_day_at_month_ends(birth, first):
    assert eligibility_window(birth, policy_for(first)).first_day == first
    assert not ok_on(birth, first - ONE).ok
    assert ok_on(birth, first).ok


def test_min_age_is_a_setting():
    policy = Policy(2026, min_age_months=12)
    assert eligibility_window(D(2025, 8, 31), policy).first_day == D(2026, 8, 30)
    policy = Policy(2026, min_age_months=0)
    assert eligibility_window(D(2026, 5, 1), policy).first_day == D(2026, 5, 1)
    assert eligibility_on(D(2026, 5, 1), D(2026, 5, 1), policy).ok


def test_national_last_day_and_the_day_after():
    birth = D(2024, 4, 10)
    assert ok_on(birth, D(2027, 4, 8)) == Eligibility(True, None)
    assert ok_on(birth, D(2027, 4, 9)) == Eligibility(False, AGED_OUT)


def test_born_on_the_3rd_last_day_is_the_1st():
    birth = D(2023, 6, 3)
    assert ok_on(birth, D(2026, 6, 1)).ok
    assert ok_on(birth, D(2026, 6, 2)) == Eligibility(False, AGED_OUT)


def test_born_29_february_last_day_is_27_february():
    birth = D(2024, 2, 29)
    assert eligibility_window(birth, policy_for(D(2027, 2, 27))).last_day == D(2027, 2, 27)
    assert ok_on(birth, D(2027, 2, 27)).ok
    assert not ok_on(birth, D(2027, 2, 28)).ok


def test_national_end_can_fall_in_the_previous_fiscal_year():
    # Born 2023-04-01: 3 is reached on 2026-03-31, so the last day is 2026-03-30 (FY2025).
    birth = D(2023, 4, 1)
    assert eligibility_window(birth, Policy(2025)).last_day == D(2026, 3, 30)
    assert eligibility_on(birth, D(2026, 3, 30), Policy(2025)).ok
    assert not eligibility_on(birth, D(2026, 3, 31), Policy(2025)).ok


# The ward extension to the end of the fiscal year in which the child reaches 3.


def test_extension_runs_to_31_march_of_the_year_age_3_is_reached():
    birth = D(2024, 4, 10)  # reaches 3 on 2027-04-09, in FY2027
    window = eligibility_window(birth, shinjuku_like(2027))
    assert window == EligibilityWindow(D(2024, 10, 9), D(2028, 3, 31), D(2027, 4, 8))
    assert ok_on(birth, D(2028, 3, 31), extension=True).ok
    assert ok_on(birth, D(2028, 4, 1), extension=True) == Eligibility(False, AGED_OUT)


def test_extension_at_the_1_and_2_april_boundary():
    # Born 1 April: 3 is reached on 31 March, the last day of FY2025 -> eligible to that day.
    born_1 = D(2023, 4, 1)
    window = eligibility_window(born_1, shinjuku_like(2025))
    assert (window.national_last_day, window.last_day) == (D(2026, 3, 30), D(2026, 3, 31))
    assert ok_on(born_1, D(2026, 3, 31), extension=True).ok
    assert not ok_on(born_1, D(2026, 4, 1), extension=True).ok
    # Born 2 April: 3 is reached on 1 April, in FY2026 -> eligible until 2027-03-31.
    born_2 = D(2023, 4, 2)
    window = eligibility_window(born_2, SHINJUKU)
    assert (window.national_last_day, window.last_day) == (D(2026, 3, 31), D(2027, 3, 31))
    assert ok_on(born_2, D(2027, 3, 31), extension=True).ok
    assert not ok_on(born_2, D(2027, 4, 1), extension=True).ok


def test_extension_matches_the_age_class():
    # A child stays eligible while in class 2 or younger: the extension ends with the year
    # in which the class-2 child reaches 3.
    for birth in (D(2023, 4, 1), D(2023, 4, 2), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 1)):
        last = eligibility_window(birth, SHINJUKU).last_day
        assert age_class(birth, fiscal_year_of(last)) == 2
        assert age_on(birth, last) == 3


@PROPERTY
@given(st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31)), st.integers(0, 1300))
def test_window_agrees_with_age_on_every_day(birth, offset):
    day = birth + timedelta(days=offset)
    national = eligibility_on(birth, day, Policy(fiscal_year_of(day)))
    assert national.ok == (age_in_months_on(birth, day) >= 6 and age_on(birth, day) < 3)
    extended = eligibility_on(birth, day, shinjuku_like(fiscal_year_of(day)))
    reaches_3_fy = fiscal_year_of(reaches_age_on(birth, 3))
    assert extended.ok == (
        age_in_months_on(birth, day) >= 6 and fiscal_year_of(day) <= reaches_3_fy
    )


# Enrolments.


@pytest.mark.parametrize("enrolment", sorted(NATIONALLY_EXCLUDED))
def test_national_exclusions(enrolment):
    assert ok_on(D(2025, 1, 1), D(2026, 5, 1), enrolments=[enrolment]) == Eligibility(
        False, EXCLUDED_ENROLMENT
    )


@pytest.mark.parametrize("enrolment", [Enrolment.UNLICENSED, Enrolment.TEMPORARY, "unlicensed"])
def test_unlicensed_and_temporary_care_are_fine(enrolment):
    assert ok_on(D(2025, 1, 1), D(2026, 5, 1), enrolments=[enrolment]).ok


def test_kindergarten_is_a_setting():
    birth, day = D(2023, 4, 2), D(2026, 5, 1)  # 3 years old, on a ward-extension day
    assert eligibility_on(birth, day, SHINJUKU, [Enrolment.KINDERGARTEN]).ok
    strict = Policy(
        2026,
        eligibility_end=SHINJUKU.eligibility_end,
        caps=SHINJUKU.caps,
        buckets=SHINJUKU.buckets,
        excluded_enrolments=NATIONALLY_EXCLUDED | {Enrolment.KINDERGARTEN},
    )
    assert eligibility_on(birth, day, strict, ["kindergarten"]) == Eligibility(
        False, EXCLUDED_ENROLMENT
    )


def test_age_reasons_come_before_enrolment():
    assert ok_on(D(2026, 4, 1), D(2026, 5, 1), enrolments=[Enrolment.EMPLOYER_LED]) == (
        Eligibility(False, TOO_YOUNG)
    )


# Errors.


def test_birth_in_the_future_is_an_error():
    with pytest.raises(RuleError) as err:
        eligibility_on(D(2026, 5, 2), D(2026, 5, 1), NATIONAL)
    assert err.value.code == "birth_after_date"


def test_birth_on_the_day_is_too_young_not_an_error():
    assert eligibility_on(D(2026, 5, 1), D(2026, 5, 1), NATIONAL) == Eligibility(False, TOO_YOUNG)


def test_the_day_must_be_in_the_policy_year():
    with pytest.raises(RuleError) as err:
        eligibility_on(D(2025, 1, 1), D(2027, 4, 1), NATIONAL)
    assert err.value.code == "date_outside_policy_year"


def test_unknown_enrolment_is_an_error():
    with pytest.raises(RuleError) as err:
        eligibility_on(D(2025, 1, 1), D(2026, 5, 1), NATIONAL, ["school"])
    assert err.value.code == "value_invalid"


def test_birth_must_be_a_date():
    with pytest.raises(RuleError) as err:
        eligibility_window("2025-01-01", NATIONAL)
    assert err.value.code == "value_invalid"


def test_window_contains_both_ends():
    window = eligibility_window(D(2024, 4, 10), NATIONAL)
    assert window.contains(D(2024, 10, 9)) and window.contains(D(2027, 4, 8))
    assert not window.contains(D(2024, 10, 8)) and not window.contains(D(2027, 4, 9))
