import dataclasses
from datetime import date, time, timedelta, timezone

import pytest

from tsuen.rules import (
    NATIONALLY_EXCLUDED,
    BenefitRates,
    Cap,
    EligibilityEnd,
    Enrolment,
    FeeClass,
    FundingBucket,
    Period,
    Policy,
    RuleError,
    national_default_policy,
)

from .factories import setagaya_like, shinjuku_like

M, FY = Period.MONTH, Period.FISCAL_YEAR


def national(limit=600):
    return FundingBucket("national", M, limit, national=True)


def ward(period=M, limit=None, payer="ward"):
    return FundingBucket(payer, period, limit, national=False)


def raises(code, build):
    with pytest.raises(RuleError) as err:
        build()
    assert err.value.code == code, err.value
    return err.value


def test_national_default_policy_is_the_brief_default():
    policy = national_default_policy(2026)
    assert policy == Policy(2026)
    assert policy.caps == (Cap(M, 600),)
    assert policy.buckets == (FundingBucket("national", M, 600, national=True),)
    assert policy.min_age_months == 6
    assert policy.eligibility_end is EligibilityEnd.NATIONAL
    assert policy.excluded_enrolments == NATIONALLY_EXCLUDED
    assert Enrolment.KINDERGARTEN not in policy.excluded_enrolments
    assert policy.billing_minimum_minutes == 60 and policy.billing_step_minutes == 30
    assert dict(policy.reductions_per_hour) == {
        FeeClass.PUBLIC_ASSISTANCE: 300,
        FeeClass.TAX_EXEMPT: 240,
        FeeClass.LOW_INCOME: 210,
        FeeClass.SUPPORT_NEEDED: 150,
    }
    assert policy.free_for_residents is False
    assert policy.cancel_deadline_days_before == 1
    assert policy.cancel_deadline_time == time(17, 0)
    assert policy.late_cancellation_counts and policy.no_show_counts
    assert policy.booking_window_days == 31
    assert dict(policy.staff_ratios) == {0: 3, 1: 6, 2: 6}
    assert (policy.first_day, policy.last_day) == (date(2026, 4, 1), date(2027, 3, 31))


def test_setagaya_and_shinjuku_examples_validate():
    setagaya_like(2026).validate()
    shinjuku_like(2026).validate()
    setagaya_like(2027).validate()
    shinjuku_like(2027).validate()


def test_database_shaped_input_is_normalised_and_frozen():
    reductions = {"tax_exempt": 240}
    policy = Policy(
        2026,
        eligibility_end="fiscal_year_end_age_3",
        excluded_enrolments=[*NATIONALLY_EXCLUDED, "kindergarten"],
        caps=[Cap("fiscal_year", 9600)],
        buckets=[FundingBucket("national", "month", 600, True), ward(FY)],
        reductions_per_hour=reductions,
        staff_ratios={0: 3, 1: 4, 2: 6},
    )
    assert policy.eligibility_end is EligibilityEnd.FISCAL_YEAR_END_AGE_3
    assert Enrolment.KINDERGARTEN in policy.excluded_enrolments
    assert isinstance(policy.caps, tuple) and isinstance(policy.buckets, tuple)
    assert policy.caps[0].period is FY
    assert policy.reduction_per_hour(FeeClass.TAX_EXEMPT) == 240
    assert policy.reduction_per_hour(FeeClass.PUBLIC_ASSISTANCE) == 0
    reductions["tax_exempt"] = 0  # the policy took a copy
    assert policy.reduction_per_hour(FeeClass.TAX_EXEMPT) == 240
    with pytest.raises(TypeError):
        policy.reductions_per_hour[FeeClass.NONE] = 1  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.fiscal_year = 2027  # type: ignore[misc]
    assert hash(policy) == hash(dataclasses.replace(policy))


def test_replace_revalidates():
    raises("policy_min_age_invalid", lambda: dataclasses.replace(Policy(2026), min_age_months=36))


def test_transition_years_up_to_fy2027_allow_3_to_10_national_hours():
    for minutes in (180, 300, 600):
        for fy in (2025, 2026, 2027):
            Policy(fy, caps=(Cap(M, minutes),), buckets=(national(minutes),))
    for minutes in (150, 630):
        raises(
            "policy_national_limit_out_of_range",
            lambda m=minutes: Policy(2026, caps=(Cap(M, 600),), buckets=(national(m),)),
        )


def test_from_fy2028_the_national_bucket_is_10_hours():
    Policy(2028)
    raises(
        "policy_national_limit_out_of_range",
        lambda: Policy(2028, caps=(Cap(M, 300),), buckets=(national(300),)),
    )
    raises(
        "policy_national_limit_out_of_range",
        lambda: Policy(2028, caps=(Cap(M, 630),), buckets=(national(630),)),
    )


def test_caps_below_the_national_hours_contradict_the_entitlement():
    raises("policy_cap_below_national_hours", lambda: Policy(2026, caps=(Cap(M, 300),)))
    raises(
        "policy_cap_below_national_hours",
        lambda: Policy(2026, caps=(Cap(FY, 7199),), buckets=(national(), ward())),
    )
    Policy(2026, caps=(Cap(FY, 7200),), buckets=(national(), ward()))


def test_bucket_coverage_of_caps():
    # 48 h a month with only 10 + 30 h of buckets leaves 8 h unfunded.
    raises(
        "policy_buckets_do_not_cover_caps",
        lambda: Policy(2026, caps=(Cap(M, 2880),), buckets=(national(), ward(M, 1800))),
    )
    # A fiscal-year bucket that could be used up in one month cannot cover a monthly cap
    # twelve times over.
    raises(
        "policy_buckets_do_not_cover_caps",
        lambda: Policy(2026, caps=(Cap(M, 1200),), buckets=(national(), ward(FY, 600))),
    )
    # A fiscal-year cap is covered by the buckets' sum over the year.
    Policy(2026, caps=(Cap(FY, 9600),), buckets=(national(), ward(FY, 9000)))
    raises(
        "policy_buckets_do_not_cover_caps",
        lambda: Policy(2026, caps=(Cap(FY, 9600),), buckets=(national(), ward(FY, 8999))),
    )
    # Twelve monthly caps bound the year too.
    Policy(2026, caps=(Cap(M, 1200),), buckets=(national(), ward(FY, 14400 - 600)))
    # A monthly cap with a tighter fiscal-year cap.
    Policy(2026, caps=(Cap(M, 1200), Cap(FY, 7800)), buckets=(national(), ward(FY, 7200)))


def test_extension_days_need_a_ward_bucket_that_covers_the_caps():
    raises(
        "policy_extension_unfunded",
        lambda: Policy(2026, eligibility_end=EligibilityEnd.FISCAL_YEAR_END_AGE_3),
    )
    raises(
        "policy_extension_unfunded",
        lambda: Policy(
            2026,
            eligibility_end=EligibilityEnd.FISCAL_YEAR_END_AGE_3,
            caps=(Cap(M, 1200),),
            buckets=(national(), ward(M, 600)),
        ),
    )
    Policy(
        2026,
        eligibility_end=EligibilityEnd.FISCAL_YEAR_END_AGE_3,
        caps=(Cap(M, 1200),),
        buckets=(national(), ward(M, 1200)),
    )


@pytest.mark.parametrize(
    ("code", "build"),
    [
        ("fiscal_year_invalid", lambda: Policy(0)),
        ("fiscal_year_invalid", lambda: Policy("2026")),
        ("policy_min_age_invalid", lambda: Policy(2026, min_age_months=-1)),
        ("policy_min_age_invalid", lambda: Policy(2026, min_age_months=36)),
        ("policy_value_invalid", lambda: Policy(2026, min_age_months="6")),
        ("policy_value_invalid", lambda: Policy(2026, eligibility_end="forever")),
        ("policy_value_invalid", lambda: Policy(2026, excluded_enrolments="kindergarten")),
        ("policy_value_invalid", lambda: Policy(2026, excluded_enrolments=["school"])),
        ("policy_value_invalid", lambda: Policy(2026, excluded_enrolments=None)),
        ("policy_value_invalid", lambda: Policy(2026, billing_step_minutes=30.0)),
        ("policy_value_invalid", lambda: Policy(2026, caps=Cap(M, 600))),
        ("policy_value_invalid", lambda: Policy(2026, caps=("month", 600))),
        ("policy_value_invalid", lambda: Policy(2026, buckets=(Cap(M, 600),))),
        ("policy_value_invalid", lambda: Policy(2026, reductions_per_hour=[300])),
        ("policy_value_invalid", lambda: Policy(2026, reductions_per_hour={"rich": 0})),
        ("policy_value_invalid", lambda: Policy(2026, reductions_per_hour={"tax_exempt": 2.5})),
        ("policy_value_invalid", lambda: Policy(2026, free_for_residents=1)),
        ("policy_value_invalid", lambda: Policy(2026, no_show_counts="yes")),
        ("policy_value_invalid", lambda: Policy(2026, cancel_deadline_days_before=None)),
        ("policy_value_invalid", lambda: Policy(2026, cancel_deadline_time="17:00")),
        ("policy_value_invalid", lambda: Policy(2026, booking_window_days=31.5)),
        ("policy_value_invalid", lambda: Policy(2026, staff_ratios=[3, 6, 6])),
        ("policy_value_invalid", lambda: Cap("week", 600)),
        ("policy_value_invalid", lambda: Cap(M, "600")),
        ("policy_value_invalid", lambda: FundingBucket("", M, 600, True)),
        ("policy_value_invalid", lambda: FundingBucket(None, M, 600, True)),
        ("policy_value_invalid", lambda: FundingBucket("x", "day", 600, True)),
        ("policy_value_invalid", lambda: FundingBucket("x", M, 600.0, True)),
        ("policy_value_invalid", lambda: FundingBucket("x", M, 600, 1)),
        ("policy_value_invalid", lambda: FundingBucket("x", M, 600, True, rates={0: 1})),
        ("policy_cap_not_positive", lambda: Cap(M, 0)),
        ("policy_cap_not_positive", lambda: Cap(FY, -60)),
        ("policy_bucket_limit_not_positive", lambda: FundingBucket("x", M, 0, False)),
        ("policy_bucket_limit_not_positive", lambda: FundingBucket("x", M, -1, False)),
        ("policy_no_caps", lambda: Policy(2026, caps=())),
        ("policy_no_buckets", lambda: Policy(2026, buckets=())),
        (
            "policy_unlimited_bucket_not_last",
            lambda: Policy(2026, buckets=(national(), ward(M, None), ward(M, 600, "tokyo"))),
        ),
        ("policy_national_bucket_count", lambda: Policy(2026, buckets=(ward(M, 600),))),
        (
            "policy_national_bucket_count",
            lambda: Policy(2026, buckets=(national(), FundingBucket("n2", M, 600, True))),
        ),
        (
            "policy_national_bucket_not_first",
            lambda: Policy(2026, buckets=(ward(M, 600), national())),
        ),
        (
            "policy_national_bucket_period",
            lambda: Policy(2026, buckets=(FundingBucket("national", FY, 7200, True),)),
        ),
        (
            "policy_national_bucket_period",
            lambda: Policy(2026, buckets=(FundingBucket("national", M, None, True),)),
        ),
        (
            "policy_excluded_enrolments_missing_national",
            lambda: Policy(2026, excluded_enrolments={Enrolment.AUTHORISED_NURSERY}),
        ),
        (
            "policy_excluded_enrolments_not_allowed",
            lambda: Policy(2026, excluded_enrolments=NATIONALLY_EXCLUDED | {Enrolment.UNLICENSED}),
        ),
        (
            "policy_excluded_enrolments_not_allowed",
            lambda: Policy(2026, excluded_enrolments=NATIONALLY_EXCLUDED | {Enrolment.TEMPORARY}),
        ),
        ("policy_billing_minimum_not_positive", lambda: Policy(2026, billing_minimum_minutes=0)),
        ("policy_billing_step_invalid", lambda: Policy(2026, billing_step_minutes=0)),
        ("policy_billing_step_invalid", lambda: Policy(2026, billing_step_minutes=45)),
        ("policy_billing_step_invalid", lambda: Policy(2026, billing_step_minutes=-30)),
        (
            "policy_billing_step_invalid",
            lambda: Policy(2026, billing_minimum_minutes=50, billing_step_minutes=20),
        ),
        ("policy_reduction_invalid", lambda: Policy(2026, reductions_per_hour={"tax_exempt": -1})),
        ("policy_reduction_invalid", lambda: Policy(2026, reductions_per_hour={"none": 10})),
        ("policy_cancel_deadline_invalid", lambda: Policy(2026, cancel_deadline_days_before=-1)),
        (
            "policy_cancel_deadline_invalid",
            lambda: Policy(
                2026, cancel_deadline_time=time(17, tzinfo=timezone(timedelta(hours=9)))
            ),
        ),
        ("policy_booking_window_not_positive", lambda: Policy(2026, booking_window_days=0)),
        ("policy_staff_ratio_invalid", lambda: Policy(2026, staff_ratios={0: 3, 1: 6})),
        ("policy_staff_ratio_invalid", lambda: Policy(2026, staff_ratios={0: 3, 1: 6, 2: 0})),
        (
            "policy_staff_ratio_invalid",
            lambda: Policy(2026, staff_ratios={0: 3, 1: 6, 2: 6, 3: 20}),
        ),
        ("policy_staff_ratio_invalid", lambda: Policy(2026, staff_ratios={0: 3, 1: 6, 2: True})),
    ],
)
def test_invalid_policies_are_refused_with_a_code(code, build):
    raises(code, build)


def test_reduction_none_may_be_zero():
    assert Policy(2026, reductions_per_hour={"none": 0}).reduction_per_hour(FeeClass.NONE) == 0


def test_top_up_buckets_may_carry_their_own_rates():
    rates = BenefitRates(base_per_hour={0: 2000, 1: 1500, 2: 1500}, adders_per_hour={})
    policy = Policy(2026, caps=(Cap(M, 1200),), buckets=(national(), ward(M, 600)))
    policy = dataclasses.replace(
        policy, buckets=(national(), FundingBucket("ward", M, 600, False, rates))
    )
    assert policy.buckets[1].rates is rates


def test_check_date_guards_the_fiscal_year():
    policy = Policy(2026)
    assert policy.check_date(date(2026, 4, 1)) == date(2026, 4, 1)
    assert policy.check_date(date(2027, 3, 31)) == date(2027, 3, 31)
    raises("date_outside_policy_year", lambda: policy.check_date(date(2026, 3, 31)))
    raises("date_outside_policy_year", lambda: policy.check_date(date(2027, 4, 1)))


def test_caps_are_one_per_period_and_ordered_month_before_year():
    both = (national(), ward())
    raises(
        "policy_cap_period_repeated",
        lambda: Policy(2026, caps=(Cap(M, 1200), Cap(M, 2400)), buckets=both),
    )
    raises(
        "policy_caps_out_of_order",
        lambda: Policy(2026, caps=(Cap(M, 9600), Cap(FY, 7200)), buckets=both),
    )
    # Equal is coherent: the fiscal-year cap then never binds before the month's.
    Policy(2026, caps=(Cap(M, 7200), Cap(FY, 7200)), buckets=both)


def test_buckets_are_one_per_payer_and_period():
    raises(
        "policy_bucket_repeated",
        lambda: Policy(2026, buckets=(national(), ward(M, 600), ward(M, None))),
    )
    # The same payer over another period is a different bucket.
    Policy(2026, caps=(Cap(M, 2400),), buckets=(national(), ward(M, 600), ward(FY, None)))


def test_amounts_have_sane_bounds():
    raises(
        "policy_hours_above_period",
        lambda: Policy(2026, caps=(Cap(M, 745 * 60),), buckets=(national(), ward())),
    )
    Policy(2026, caps=(Cap(M, 744 * 60),), buckets=(national(), ward()))
    raises(
        "policy_reduction_too_large",
        lambda: Policy(2026, reductions_per_hour={FeeClass.TAX_EXEMPT: 99_999}),
    )
    Policy(2026, reductions_per_hour={FeeClass.TAX_EXEMPT: 3_000})
    rates = BenefitRates(base_per_hour={0: 10_001, 1: 1400, 2: 1400}, adders_per_hour={})
    raises(
        "policy_price_too_large",
        lambda: Policy(
            2026,
            caps=(Cap(M, 1200),),
            buckets=(national(), FundingBucket("ward", M, None, False, rates)),
        ),
    )
