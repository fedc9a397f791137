from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tsuen.rules import (
    BucketShare,
    BucketSplit,
    Cap,
    EligibilityEnd,
    FundingBucket,
    Period,
    Policy,
    RuleError,
    Visit,
    check_caps,
    fiscal_year_bounds,
    fund_visits,
    national_last_day,
    split_into_buckets,
)

from .factories import PROPERTY, setagaya_like, shinjuku_like

D = date
M, FY = Period.MONTH, Period.FISCAL_YEAR
FAR = D(2099, 1, 1)  # a national end far away: every day is a national day
NATIONAL = Policy(2026)
SETAGAYA = setagaya_like()
SHINJUKU = shinjuku_like()


def shares(split):
    return [(s.payer, s.minutes) for s in split.shares]


def test_national_default_funds_ten_hours_nationally():
    split = split_into_buckets(
        NATIONAL, [Visit(D(2026, 5, 1), 480)], Visit(D(2026, 5, 8), 180), FAR
    )
    assert split == BucketSplit(
        visit=Visit(D(2026, 5, 8), 180),
        shares=(BucketShare(0, "national", 120),),
        unfunded_minutes=60,
    )
    assert split.funded_minutes == 120


def test_setagaya_national_first_then_ward_within_one_visit():
    earlier = [Visit(D(2026, 5, 1), 570)]
    split = split_into_buckets(SETAGAYA, earlier, Visit(D(2026, 5, 2), 90), FAR)
    assert shares(split) == [("national", 30), ("setagaya", 60)]
    assert split.unfunded_minutes == 0


def test_month_edge_resets_monthly_buckets():
    earlier = [Visit(D(2026, 4, 30), 600)]
    assert shares(split_into_buckets(SETAGAYA, earlier, Visit(D(2026, 4, 30), 60), FAR)) == [
        ("setagaya", 60)
    ]
    assert shares(split_into_buckets(SETAGAYA, earlier, Visit(D(2026, 5, 1), 60), FAR)) == [
        ("national", 60)
    ]


def test_fiscal_year_edge_resets_fiscal_year_buckets():
    policy = Policy(
        2026,
        caps=(Cap(FY, 9600),),
        buckets=(
            FundingBucket("national", M, 600, True),
            FundingBucket("tokyo", FY, 9000, False),
        ),
    )
    # Every month's national hours are used; Tokyo has taken 8,940 minutes by 31 March.
    earlier = [Visit(D(2026, 4 + i, 1) if i < 9 else D(2027, i - 8, 1), 600) for i in range(12)]
    earlier += [Visit(D(2026, 4, 2), 8940)]
    split = split_into_buckets(policy, earlier, Visit(D(2027, 3, 31), 90), FAR)
    assert shares(split) == [("tokyo", 60)]
    assert split.unfunded_minutes == 30
    # 1 April is a new fiscal year (with its own policy): Tokyo's room is whole again.
    next_year = Policy(2027, caps=policy.caps, buckets=policy.buckets)
    earlier.append(Visit(D(2027, 3, 31), 60))
    split = split_into_buckets(next_year, earlier, Visit(D(2027, 4, 1), 690), FAR)
    assert shares(split) == [("national", 600), ("tokyo", 90)]


def test_child_reaching_3_inside_a_month_moves_to_the_ward_bucket():
    birth = D(2023, 6, 15)  # reaches 3 on 2026-06-14; national last day 2026-06-13
    end = national_last_day(birth)
    assert end == D(2026, 6, 13)
    visits = [
        Visit(D(2026, 6, 1), 240),
        Visit(D(2026, 6, 13), 120),  # last national day
        Visit(D(2026, 6, 14), 120),  # first extension day: national has 240 left, unused
        Visit(D(2026, 6, 20), 300),
    ]
    splits = fund_visits(SHINJUKU, visits, end)
    assert [shares(s) for s in splits] == [
        [("national", 240)],
        [("national", 120)],
        [("tokyo", 120)],
        [("tokyo", 300)],
    ]
    assert all(s.unfunded_minutes == 0 for s in splits)


def test_without_a_ward_bucket_extension_day_minutes_are_unfunded():
    split = split_into_buckets(NATIONAL, [], Visit(D(2026, 6, 14), 60), D(2026, 6, 13))
    assert split.shares == () and split.unfunded_minutes == 60


def test_earlier_visits_are_replayed_in_date_order():
    # Given out of order, the 1 May visit still took the national room first.
    earlier = [Visit(D(2026, 5, 10), 300), Visit(D(2026, 5, 1), 540)]
    split = split_into_buckets(SETAGAYA, earlier, Visit(D(2026, 5, 10), 120), FAR)
    assert shares(split) == [("setagaya", 120)]


def test_earlier_visits_of_other_years_are_ignored():
    earlier = [Visit(D(2026, 3, 31), 600), Visit(D(2025, 5, 1), 600)]
    split = split_into_buckets(NATIONAL, earlier, Visit(D(2026, 4, 1), 600), FAR)
    assert shares(split) == [("national", 600)]


def test_an_earlier_visit_dated_after_the_visit_is_an_error():
    with pytest.raises(RuleError) as err:
        split_into_buckets(NATIONAL, [Visit(D(2026, 5, 2), 60)], Visit(D(2026, 5, 1), 60), FAR)
    assert err.value.code == "earlier_visit_after_visit"


def test_visit_outside_the_policy_year_is_an_error():
    with pytest.raises(RuleError) as err:
        split_into_buckets(NATIONAL, [], Visit(D(2027, 4, 1), 60), FAR)
    assert err.value.code == "date_outside_policy_year"
    with pytest.raises(RuleError) as err:
        fund_visits(NATIONAL, [Visit(D(2026, 5, 1), 60), Visit(D(2026, 3, 1), 60)], FAR)
    assert err.value.code == "date_outside_policy_year"


def test_national_last_day_must_be_a_date():
    for call in (
        lambda: split_into_buckets(NATIONAL, [], Visit(D(2026, 5, 1), 60), None),
        lambda: fund_visits(NATIONAL, [], "2027-04-08"),
    ):
        with pytest.raises(RuleError) as err:
            call()
        assert err.value.code == "value_invalid"


def test_fund_visits_answers_in_input_order():
    visits = [Visit(D(2026, 5, 20), 300), Visit(D(2026, 5, 1), 540)]
    first, second = fund_visits(SETAGAYA, visits, FAR)
    assert first.visit == visits[0] and shares(first) == [("national", 60), ("setagaya", 240)]
    assert second.visit == visits[1] and shares(second) == [("national", 540)]


# Properties.

visit_strategy = st.builds(
    Visit,
    st.dates(min_value=D(2026, 4, 1), max_value=D(2027, 3, 31)),
    st.sampled_from([60, 90, 120, 150, 180, 240, 300, 480, 600, 1200]),
)


@st.composite
def policies(draw):
    fy = draw(st.sampled_from([2025, 2026, 2027, 2028]))
    national = 600 if fy >= 2028 else draw(st.sampled_from([180, 300, 450, 600]))
    buckets = [FundingBucket("national", M, national, True)]
    for i in range(draw(st.integers(0, 2))):
        period = draw(st.sampled_from([M, FY]))
        limit = draw(st.sampled_from([300, 600, 1200, 2280, 6000, 9000]))
        buckets.append(FundingBucket(f"ward{i}", period, limit, False))
    if draw(st.booleans()):
        buckets.append(FundingBucket("tokyo", FY, None, False))
    caps = [Cap(M, draw(st.sampled_from([national, 600, 1200, 2880])))]
    if draw(st.booleans()):
        caps.append(Cap(FY, draw(st.sampled_from([7200, 7800, 9600, 20000]))))
    if draw(st.booleans()):
        caps = caps[1:]
    end = draw(st.sampled_from(list(EligibilityEnd)))
    try:
        return Policy(fy, eligibility_end=end, caps=tuple(caps), buckets=tuple(buckets))
    except RuleError:
        assume(False)


def move_to_year(visit, fy):
    first, _ = fiscal_year_bounds(2026)
    offset = (visit.date - first).days
    day = fiscal_year_bounds(fy)[0] + timedelta(days=min(offset, 364))
    return Visit(day, visit.minutes)


@PROPERTY
@given(policies(), st.lists(visit_strategy, max_size=80), st.integers(-30, 400))
def test_buckets_never_overflow_and_minutes_are_conserved(policy, visits, end_offset):
    visits = [move_to_year(v, policy.fiscal_year) for v in visits]
    end = policy.first_day + timedelta(days=end_offset)
    splits = fund_visits(policy, visits, end)
    used: dict[tuple, int] = {}
    for split in splits:
        assert split.funded_minutes + split.unfunded_minutes == split.visit.minutes
        assert split.unfunded_minutes >= 0 and all(s.minutes > 0 for s in split.shares)
        for share in split.shares:
            bucket = policy.buckets[share.bucket_index]
            assert bucket.payer == share.payer
            if bucket.national:
                assert split.visit.date <= end
            key = (share.bucket_index, split.visit.date.month if bucket.period is M else 0)
            used[key] = used.get(key, 0) + share.minutes
    for (index, _), minutes in used.items():
        limit = policy.buckets[index].limit_minutes
        assert limit is None or minutes <= limit


@PROPERTY
@given(policies(), st.lists(visit_strategy, max_size=80), st.integers(-30, 400))
def test_visits_within_the_caps_are_always_fully_funded(policy, requests, end_offset):
    end = policy.first_day + timedelta(days=end_offset)
    accepted: list[Visit] = []
    for visit in (move_to_year(v, policy.fiscal_year) for v in requests):
        if policy.eligibility_end is EligibilityEnd.NATIONAL and visit.date > end:
            continue  # the child has aged out: no booking is possible
        if check_caps(policy, accepted, visit).ok:
            accepted.append(visit)
    for split in fund_visits(policy, accepted, end):
        assert split.unfunded_minutes == 0, (policy, split)


@PROPERTY
@given(policies(), st.lists(visit_strategy, min_size=1, max_size=40), st.integers(-30, 400))
def test_one_visit_at_a_time_matches_the_whole_year(policy, visits, end_offset):
    visits = sorted((move_to_year(v, policy.fiscal_year) for v in visits), key=lambda v: v.date)
    end = policy.first_day + timedelta(days=end_offset)
    whole = fund_visits(policy, visits, end)
    for i, visit in enumerate(visits):
        assert split_into_buckets(policy, visits[:i], visit, end) == whole[i]


def test_control_without_the_coverage_check_the_property_finds_unfunded_minutes(monkeypatch):
    # Proves the property above can see the bug it guards against.
    import tsuen.rules.policy

    monkeypatch.setattr(tsuen.rules.policy, "_buckets_cover_caps", lambda caps, buckets: True)
    with pytest.raises((AssertionError, ExceptionGroup)):
        test_visits_within_the_caps_are_always_fully_funded()
