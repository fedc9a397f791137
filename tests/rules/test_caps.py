from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import (
    Cap,
    CapUsage,
    FundingBucket,
    Period,
    Policy,
    RuleError,
    Visit,
    cap_usage,
    check_caps,
    month_bounds,
    reaches_share_of_cap,
)

from .factories import PROPERTY, setagaya_like, shinjuku_like

D = date
M, FY = Period.MONTH, Period.FISCAL_YEAR
NATIONAL = Policy(2026)


def test_usage_counts_only_the_calendar_month():
    visits = [Visit(D(2026, 4, 30), 120), Visit(D(2026, 5, 1), 60), Visit(D(2026, 5, 31), 90)]
    (usage,) = cap_usage(NATIONAL, visits, D(2026, 5, 15))
    assert usage == CapUsage(Cap(M, 600), D(2026, 5, 1), D(2026, 5, 31), 150, 600)
    assert usage.remaining == 450
    (usage,) = cap_usage(NATIONAL, visits, D(2026, 4, 1))
    assert (usage.period_start, usage.period_end, usage.used) == (
        D(2026, 4, 1),
        D(2026, 4, 30),
        120,
    )


def test_ten_hours_a_month_no_carry_over():
    april = [Visit(D(2026, 4, d), 120) for d in (6, 13, 20, 27)]  # 8 hours
    assert check_caps(NATIONAL, april, Visit(D(2026, 4, 28), 120)).ok
    refused = check_caps(NATIONAL, april, Visit(D(2026, 4, 28), 150))
    assert not refused.ok
    assert refused.broken == (CapUsage(Cap(M, 600), D(2026, 4, 1), D(2026, 4, 30), 480, 600),)
    # The 2 unused April hours do not carry into May, and April's use does not reduce May.
    may = check_caps(NATIONAL, april, Visit(D(2026, 5, 1), 600))
    assert may.ok
    assert not check_caps(NATIONAL, april, Visit(D(2026, 5, 1), 630)).ok


def test_last_and_first_day_of_a_month():
    full_may = [Visit(D(2026, 5, 1), 300), Visit(D(2026, 5, 31), 300)]
    assert not check_caps(NATIONAL, full_may, Visit(D(2026, 5, 31), 60)).ok
    assert check_caps(NATIONAL, full_may, Visit(D(2026, 6, 1), 600)).ok
    assert check_caps(NATIONAL, full_may, Visit(D(2026, 4, 30), 600)).ok


def test_fiscal_year_cap_resets_on_1_april():
    policy = shinjuku_like(2026)
    used = [Visit(D(2026, 4, 1) + timedelta(days=7 * i), 480) for i in range(20)]  # 160 h
    assert sum(v.minutes for v in used) == 9600
    refused = check_caps(policy, used, Visit(D(2027, 3, 31), 60))
    assert refused.broken[0].period_start == D(2026, 4, 1)
    assert refused.broken[0].period_end == D(2027, 3, 31)
    assert refused.broken[0].used == 9600
    # The next fiscal year has its own policy and its own count.
    assert check_caps(shinjuku_like(2027), used, Visit(D(2027, 4, 1), 60)).ok


def test_visits_of_march_count_in_the_old_year_april_in_the_new():
    policy = shinjuku_like(2026)
    march = [Visit(D(2026, 3, 31), 9600)]  # FY2025: does not count against FY2026
    assert check_caps(policy, march, Visit(D(2026, 4, 1), 9600)).ok


def test_every_broken_cap_is_listed():
    policy = Policy(2026, caps=(Cap(M, 1200), Cap(FY, 7800)), buckets=setagaya_like().buckets)
    existing = [Visit(D(2026, 4 + i, 1), 1200) for i in range(6)] + [Visit(D(2026, 10, 2), 600)]
    check = check_caps(policy, existing, Visit(D(2026, 10, 20), 900))
    assert not check.ok
    assert [b.cap.period for b in check.broken] == [M, FY]
    assert [b.used for b in check.broken] == [600, 7800]
    assert [b.remaining for b in check.broken] == [600, 0]


def test_setagaya_like_allows_48_hours_a_month():
    policy = setagaya_like()
    assert check_caps(policy, [Visit(D(2026, 6, 1), 2820)], Visit(D(2026, 6, 30), 60)).ok
    assert not check_caps(policy, [Visit(D(2026, 6, 1), 2850)], Visit(D(2026, 6, 30), 60)).ok


def test_dates_outside_the_policy_year_are_errors():
    with pytest.raises(RuleError) as err:
        check_caps(NATIONAL, [], Visit(D(2027, 4, 1), 60))
    assert err.value.code == "date_outside_policy_year"
    with pytest.raises(RuleError) as err:
        cap_usage(NATIONAL, [], D(2026, 3, 31))
    assert err.value.code == "date_outside_policy_year"


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: Visit(D(2026, 5, 1), 0), "visit_minutes_not_positive"),
        (lambda: Visit(D(2026, 5, 1), -30), "visit_minutes_not_positive"),
        (lambda: Visit(D(2026, 5, 1), 60.0), "value_invalid"),
        (lambda: Visit("2026-05-01", 60), "value_invalid"),
    ],
)
def test_bad_visits(build, code):
    with pytest.raises(RuleError) as err:
        build()
    assert err.value.code == code


POLICIES = [
    Policy(2026),
    Policy(2026, caps=(Cap(M, 300),), buckets=(FundingBucket("national", M, 300, True),)),
    setagaya_like(),
    shinjuku_like(),
    Policy(2026, caps=(Cap(M, 1200), Cap(FY, 7800)), buckets=setagaya_like().buckets),
]

visit_lists = st.lists(
    st.builds(
        Visit,
        st.dates(min_value=D(2026, 4, 1), max_value=D(2027, 3, 31)),
        st.sampled_from([60, 90, 120, 180, 240, 480, 600, 900]),
    ),
    max_size=120,
)


@PROPERTY
@given(st.sampled_from(POLICIES), visit_lists)
def test_visits_accepted_one_by_one_never_exceed_any_cap(policy, requests):
    accepted: list[Visit] = []
    for visit in requests:
        if check_caps(policy, accepted, visit).ok:
            accepted.append(visit)
    for cap in policy.caps:
        totals: dict[object, int] = {}
        for visit in accepted:
            key = month_bounds(visit.date) if cap.period is M else "year"
            totals[key] = totals.get(key, 0) + visit.minutes
        assert all(total <= cap.limit_minutes for total in totals.values())
    for visit in accepted:
        assert all(u.used <= u.limit for u in cap_usage(policy, accepted, visit.date))


@pytest.mark.parametrize(
    ("used", "limit", "percent", "reached"),
    [
        (480, 600, 80, True),
        (479, 600, 80, False),
        (474, 600, 79, True),
        (0, 600, 80, False),
        (600, 600, 100, True),
        (599, 600, 100, False),
        (1200, 600, 80, True),
        (4, 5, 80, True),  # exact without floating point
        (3, 5, 80, False),
    ],
)
def test_reaches_share_of_cap(used, limit, percent, reached):
    assert reaches_share_of_cap(used, limit, percent) is reached


@given(st.integers(0, 20_000), st.integers(1, 20_000), st.integers(1, 100))
def test_reaching_a_share_is_the_exact_fraction_and_monotonic(used, limit, percent):
    from fractions import Fraction

    reached = reaches_share_of_cap(used, limit, percent)
    assert reached is (Fraction(used, limit) >= Fraction(percent, 100))
    if reached:  # one more minute never takes a child off the list
        assert reaches_share_of_cap(used + 1, limit, percent)
