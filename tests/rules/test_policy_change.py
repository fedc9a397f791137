"""The policy editor's preview: what a new version does to bookings already made."""

from dataclasses import replace
from datetime import date

import pytest

from tsuen.rules import (
    BookedVisit,
    Cap,
    ChildBookings,
    EligibilityEnd,
    FeeClass,
    FundingBucket,
    Period,
    Policy,
    RuleError,
    Visit,
    policy_change_effect,
)

from .factories import setagaya_like, shinjuku_like

D = date
TODAY = D(2026, 11, 26)
DECEMBER = D(2026, 12, 1)
OLD = setagaya_like()


BIRTH = D(2024, 4, 10)
VISIT_DAY = D(2026, 12, 3)


def child(key=1, birth=BIRTH, counted=(), booked=()):
    return ChildBookings(key, birth, tuple(counted), tuple(booked))


def booked(day=VISIT_DAY, minutes=120, fee=300, fee_class=FeeClass.NONE, resident=True):
    return BookedVisit(day, minutes, fee, fee_class, resident)


def lower_cap(hours):
    return Policy(
        2026,
        caps=(Cap(Period.MONTH, hours * 60),),
        buckets=(
            FundingBucket("national", Period.MONTH, 600, national=True),
            FundingBucket("setagaya", Period.MONTH, None, national=False),
        ),
    )


def test_an_unchanged_policy_changes_nothing():
    kids = [child(counted=[Visit(D(2026, 12, 3), 120)], booked=[booked()])]
    effect = policy_change_effect(OLD, OLD, DECEMBER, TODAY, kids)
    assert effect.over_cap == effect.outside_window == effect.eligibility == ()
    assert (effect.fee_changes, effect.fee_difference) == (0, 0)


def test_a_lower_monthly_cap_lists_the_child_above_it_with_its_minutes():
    heavy = child(1, counted=[Visit(D(2026, 12, d), 240) for d in (1, 2, 3)])  # 12 hours
    light = child(2, counted=[Visit(D(2026, 12, 1), 240)])
    effect = policy_change_effect(OLD, lower_cap(10), DECEMBER, TODAY, [heavy, light])
    [excess] = effect.over_cap
    assert (excess.key, excess.used, excess.limit) == (1, 720, 600)


def test_a_monthly_cap_counts_only_the_month_and_exactly_the_limit_is_fine():
    kid = child(counted=[Visit(D(2026, 11, 30), 600), Visit(D(2026, 12, 1), 600)])
    assert policy_change_effect(OLD, lower_cap(10), DECEMBER, TODAY, [kid]).over_cap == ()


def test_a_fiscal_year_cap_counts_the_year_up_to_the_month_end():
    kid = child(counted=[Visit(D(2026, 4, 1), 9000), Visit(D(2026, 12, 1), 900)])
    effect = policy_change_effect(OLD, shinjuku_like(), DECEMBER, TODAY, [kid])
    [excess] = effect.over_cap
    assert (excess.used, excess.limit, excess.cap.period) == (9900, 9600, Period.FISCAL_YEAR)


def test_bookings_beyond_the_new_window_are_listed():
    kid = child(booked=[booked(D(2026, 12, 5)), booked(D(2026, 12, 20))])
    new = replace(OLD, booking_window_days=14)  # open to 10 December
    effect = policy_change_effect(OLD, new, DECEMBER, TODAY, [kid])
    assert effect.outside_window == ((1, D(2026, 12, 20)),)


def test_a_higher_reduction_lowers_the_fees_of_that_class_only():
    kid = child(
        booked=[
            booked(minutes=120, fee=400, fee_class=FeeClass.LOW_INCOME),
            booked(minutes=60, fee=400, fee_class=FeeClass.NONE),
        ]
    )
    new = replace(OLD, reductions_per_hour={**OLD.reductions_per_hour, "low_income": 300})
    effect = policy_change_effect(OLD, new, DECEMBER, TODAY, [kid])
    # 2 hours at 400 yen: 420 yen off before, 600 after (never above the 800 yen fee).
    assert (effect.fee_changes, effect.fee_difference) == (1, -180)


def test_free_for_residents_changes_residents_fees_only():
    kid = child(booked=[booked(resident=True), booked(resident=False)])
    new = replace(OLD, free_for_residents=True)
    effect = policy_change_effect(OLD, new, DECEMBER, TODAY, [kid])
    assert (effect.fee_changes, effect.fee_difference) == (1, -600)


def test_extending_eligibility_lists_the_children_whose_last_day_moves():
    kid = child(birth=D(2024, 4, 10))
    old = lower_cap(48)
    new = replace(old, eligibility_end=EligibilityEnd.FISCAL_YEAR_END_AGE_3)
    (change,) = policy_change_effect(old, new, DECEMBER, TODAY, [kid]).eligibility
    assert (change.old_last_day, change.new_last_day) == (D(2027, 4, 8), D(2028, 3, 31))


def test_the_month_must_lie_in_the_new_policys_year():
    with pytest.raises(RuleError) as caught:
        policy_change_effect(OLD, OLD, D(2027, 4, 1), TODAY, [])
    assert caught.value.code == "date_outside_policy_year"
