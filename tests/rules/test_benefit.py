from datetime import date, timedelta

import pytest

from tsuen.rules import (
    NATIONAL_RATES,
    Adder,
    BenefitLine,
    BenefitRates,
    BucketShare,
    Cap,
    FundingBucket,
    Period,
    Policy,
    RuleError,
    Visit,
    first_visit_adder_again_from,
    first_visit_adder_due,
    national_rates,
    split_into_buckets,
    visit_benefit,
)

from .factories import setagaya_like, shinjuku_like

D = date
M = Period.MONTH
P2026, P2025 = Policy(2026), Policy(2025)


def national_share(minutes):
    return [BucketShare(0, "national", minutes)]


def benefit(policy, age_class, shares, adders=(), first=False):
    return visit_benefit(policy, policy.fiscal_year, age_class, shares, adders, first)


# The national table.


def test_fy2026_rates():
    rates = national_rates(2026)
    assert dict(rates.base_per_hour) == {0: 1700, 1: 1400, 2: 1400}
    assert dict(rates.adders_per_hour) == {
        Adder.DISABILITY: 600,
        Adder.MEDICAL_CARE: 2500,
        Adder.SUPPORT_NEEDED_FAMILY: 600,
    }
    assert dict(rates.first_visit) == {0: 1700, 1: 1400, 2: 1400}


def test_fy2025_rates_have_no_first_visit_adder():
    rates = national_rates(2025)
    assert dict(rates.base_per_hour) == {0: 1300, 1: 1100, 2: 900}
    assert [rates.adder_per_hour(a) for a in Adder] == [400, 2400, 400]
    assert rates.first_visit is None


@pytest.mark.parametrize("fy", [2024, 2027])
def test_unknown_years_are_errors(fy):
    with pytest.raises(RuleError) as err:
        national_rates(fy)
    assert err.value.code == "rates_unknown_fiscal_year"


def test_the_table_is_read_only():
    with pytest.raises(TypeError):
        NATIONAL_RATES[2027] = NATIONAL_RATES[2026]  # type: ignore[index]


# Base and adders.


@pytest.mark.parametrize(
    ("age_class", "minutes", "base"),
    [(0, 60, 1700), (0, 90, 2550), (1, 60, 1400), (2, 60, 1400), (2, 90, 2100), (0, 30, 850)],
)
def test_fy2026_base(age_class, minutes, base):
    result = benefit(P2026, age_class, national_share(minutes))
    assert result.lines == (BenefitLine(0, "national", minutes, base, 0, 0),)
    assert result.total == base


@pytest.mark.parametrize(
    ("age_class", "minutes", "base"), [(0, 60, 1300), (1, 60, 1100), (2, 60, 900), (2, 90, 1350)]
)
def test_fy2025_base(age_class, minutes, base):
    assert benefit(P2025, age_class, national_share(minutes)).total == base


@pytest.mark.parametrize(
    ("adder", "fy2026", "fy2025"),
    [
        (Adder.DISABILITY, 900, 600),
        (Adder.MEDICAL_CARE, 3750, 3600),
        (Adder.SUPPORT_NEEDED_FAMILY, 900, 600),
    ],
)
def test_each_adder_per_hour_pro_rata(adder, fy2026, fy2025):
    assert benefit(P2026, 2, national_share(90), {adder}).lines[0].adders == fy2026
    assert benefit(P2025, 2, national_share(90), [adder.value]).lines[0].adders == fy2025


def test_adders_add_up():
    line = benefit(P2026, 0, national_share(60), set(Adder)).lines[0]
    assert (line.base, line.adders, line.total) == (1700, 3700, 5400)


def test_amounts_are_rounded_down_to_the_yen():
    # 1,700 yen for 61 minutes is 1,728.33 yen; 3,700 yen of adders is 3,761.66 yen.
    line = benefit(P2026, 0, national_share(61), set(Adder)).lines[0]
    assert (line.base, line.adders) == (1728, 3761)


# First visit.


@pytest.mark.parametrize(("age_class", "amount"), [(0, 1700), (1, 1400), (2, 1400)])
def test_first_visit_adder_fy2026(age_class, amount):
    result = benefit(P2026, age_class, national_share(60), first=True)
    assert result.lines[0].first_visit == amount
    assert result.total == result.lines[0].base + amount


def test_no_first_visit_adder_in_fy2025():
    assert benefit(P2025, 0, national_share(60), first=True).lines[0].first_visit == 0


# Several payers.


def test_split_visit_is_priced_per_payer_with_adders_following_the_split():
    policy = setagaya_like()
    split = split_into_buckets(
        policy, [Visit(D(2026, 5, 1), 570)], Visit(D(2026, 5, 2), 90), D(2099, 1, 1)
    )
    result = visit_benefit(policy, 2026, 0, split.shares, {Adder.DISABILITY}, True)
    assert result.lines == (
        BenefitLine(0, "national", 30, 850, 300, 1700),
        BenefitLine(1, "setagaya", 60, 1700, 600, 0),
    )
    assert result.total == 5150
    assert dict(result.by_payer()) == {"national": 2850, "setagaya": 2300}


def test_top_up_payers_use_their_own_rates():
    ward_rates = BenefitRates(
        base_per_hour={0: 2000, 1: 1600, 2: 1500},
        adders_per_hour={Adder.MEDICAL_CARE: 3000},
        first_visit={0: 500, 1: 500, 2: 500},
    )
    policy = Policy(
        2026,
        caps=(Cap(M, 1200),),
        buckets=(
            FundingBucket("national", M, 600, True),
            FundingBucket("ward", M, 600, False, ward_rates),
        ),
    )
    shares = [BucketShare(1, "ward", 60), BucketShare(0, "national", 60)]
    result = visit_benefit(policy, 2026, 2, shares, {Adder.MEDICAL_CARE, Adder.DISABILITY}, True)
    assert result.lines == (
        BenefitLine(0, "national", 60, 1400, 3100, 1400),
        BenefitLine(1, "ward", 60, 1500, 3000, 0),
    )


def test_on_a_ward_extension_day_the_first_visit_adder_goes_to_the_ward_payer():
    policy = shinjuku_like()
    shares = [BucketShare(1, "tokyo", 120)]
    result = visit_benefit(policy, 2026, 2, shares, (), True)
    assert result.lines == (BenefitLine(1, "tokyo", 120, 2800, 0, 1400),)


def test_a_national_table_given_by_the_caller_replaces_the_built_in_one():
    edited = BenefitRates({0: 2000, 1: 1500, 2: 1500}, {Adder.DISABILITY: 700}, None)
    result = visit_benefit(P2026, 2026, 0, national_share(90), {Adder.DISABILITY}, True, edited)
    assert result.lines == (BenefitLine(0, "national", 90, 3000, 1050, 0),)
    # A year with no built-in table is priced once the caller gives one.
    later = visit_benefit(Policy(2027), 2027, 1, national_share(60), (), False, edited)
    assert later.total == 1500


def test_the_callers_table_does_not_replace_a_top_up_payers_own_rates():
    ward_rates = BenefitRates({0: 2000, 1: 1600, 2: 1500}, {})
    policy = Policy(
        2026,
        caps=(Cap(M, 1200),),
        buckets=(
            FundingBucket("national", M, 600, True),
            FundingBucket("ward", M, 600, False, ward_rates),
        ),
    )
    edited = BenefitRates({0: 1, 1: 1, 2: 1}, {})
    shares = [BucketShare(0, "national", 60), BucketShare(1, "ward", 60)]
    result = visit_benefit(policy, 2026, 2, shares, (), False, edited)
    assert [line.base for line in result.lines] == [1, 1500]


def test_unfunded_visit_earns_nothing():
    assert benefit(P2026, 0, [], set(Adder), first=True).total == 0


# Errors.


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: visit_benefit(P2026, 2025, 0, [], (), False), "fiscal_year_mismatch"),
        (lambda: benefit(P2026, 3, national_share(60)), "age_class_invalid"),
        (lambda: benefit(P2026, -1, national_share(60)), "age_class_invalid"),
        (lambda: benefit(P2026, True, national_share(60)), "age_class_invalid"),
        (lambda: benefit(P2026, "0", national_share(60)), "age_class_invalid"),
        (lambda: benefit(P2026, 0, national_share(60), {"twins"}), "adder_unknown"),
        (lambda: benefit(P2026, 0, national_share(60), "twins"), "adder_unknown"),
        (lambda: benefit(P2026, 0, national_share(60), first=1), "value_invalid"),
        (lambda: benefit(P2026, 0, [BucketShare(1, "ward", 60)]), "bucket_share_invalid"),
        (lambda: benefit(P2026, 0, [BucketShare(-1, "national", 60)]), "bucket_share_invalid"),
        (lambda: benefit(P2026, 0, [BucketShare(0, "tokyo", 60)]), "bucket_share_invalid"),
        (lambda: benefit(P2026, 0, [BucketShare(0, "national", 0)]), "bucket_share_invalid"),
        (lambda: benefit(P2026, 0, [("national", 60)]), "bucket_share_invalid"),
        (lambda: benefit(P2026, 0, national_share(30) * 2), "bucket_share_invalid"),
        (lambda: benefit(Policy(2027), 0, national_share(60)), "rates_unknown_fiscal_year"),
        (
            lambda: visit_benefit(P2026, 2026, 0, national_share(60), (), False, {0: 1}),
            "rates_invalid",
        ),
    ],
)
def test_bad_benefit_inputs(call, code):
    with pytest.raises(RuleError) as err:
        call()
    assert err.value.code == code


@pytest.mark.parametrize(
    "build",
    [
        lambda: BenefitRates({0: 1, 1: 1}, {}),
        lambda: BenefitRates({0: 1, 1: 1, 2: 1, 3: 1}, {}),
        lambda: BenefitRates({0: 1, 1: 1, 2: -1}, {}),
        lambda: BenefitRates({0: 1, 1: 1, 2: 1.5}, {}),
        lambda: BenefitRates([1, 1, 1], {}),
        lambda: BenefitRates({0: 1, 1: 1, 2: 1}, [600]),
        lambda: BenefitRates({0: 1, 1: 1, 2: 1}, {"twins": 100}),
        lambda: BenefitRates({0: 1, 1: 1, 2: 1}, {Adder.DISABILITY: -600}),
        lambda: BenefitRates({0: 1, 1: 1, 2: 1}, {}, first_visit={0: 1700}),
        lambda: BenefitRates({0: 1, 1: 1, 2: True}, {}),
    ],
)
def test_bad_rate_tables(build):
    with pytest.raises(RuleError) as err:
        build()
    assert err.value.code == "rates_invalid"


# When the first-visit adder is due (初回対応加算).


def test_due_on_the_first_use_after_a_full_interview_and_follow_up():
    assert first_visit_adder_due(30, True, None, D(2026, 5, 1))
    assert first_visit_adder_due(45, True, None, D(2026, 5, 1))
    assert not first_visit_adder_due(29, True, None, D(2026, 5, 1))
    assert not first_visit_adder_due(30, False, None, D(2026, 5, 1))


@pytest.mark.parametrize(
    ("last_use", "due_from"),
    [
        (D(2026, 4, 10), D(2026, 10, 11)),  # no use 11 April to 10 October: six months
        (D(2026, 8, 27), D(2027, 2, 28)),
        (D(2026, 8, 29), D(2027, 3, 1)),  # six months from 30 August end on 28 February
        (D(2026, 8, 30), D(2027, 3, 1)),
        (D(2026, 8, 31), D(2027, 3, 1)),
        (D(2027, 8, 28), D(2028, 2, 29)),  # 2028 is leap
        (D(2026, 9, 30), D(2027, 4, 1)),  # no use 1 October to 31 March
        (D(2026, 12, 31), D(2027, 7, 1)),
    ],
)
def test_due_again_after_six_months_without_use(last_use, due_from):
    assert first_visit_adder_again_from(last_use) == due_from
    assert not first_visit_adder_due(30, True, last_use, due_from - timedelta(days=1))
    assert first_visit_adder_due(30, True, last_use, due_from)


def test_not_due_for_a_second_visit_the_same_day():
    assert not first_visit_adder_due(30, True, D(2026, 5, 1), D(2026, 5, 1))


def test_first_visit_errors():
    with pytest.raises(RuleError) as err:
        first_visit_adder_due(-1, True, None, D(2026, 5, 1))
    assert err.value.code == "interview_minutes_negative"
    with pytest.raises(RuleError) as err:
        first_visit_adder_due(30, True, D(2026, 5, 2), D(2026, 5, 1))
    assert err.value.code == "last_use_after_visit"
    for args in [
        (30.0, True, None, D(2026, 5, 1)),
        (30, "yes", None, D(2026, 5, 1)),
        (30, True, "2026-01-01", D(2026, 5, 1)),
        (30, True, None, "2026-05-01"),
    ]:
        with pytest.raises(RuleError) as err:
            first_visit_adder_due(*args)
        assert err.value.code == "value_invalid"
