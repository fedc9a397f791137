"""The claim review's flags as a pure function: every flag on and off, and the cap's edges."""

from __future__ import annotations

import datetime as dt

import pytest

from tsuen import rules
from tsuen.billing.flags import CountedVisit, Flag, LineFacts, line_flags

POLICY = rules.national_default_policy(2026)  # one cap: 600 minutes a calendar month
DAY = dt.date(2026, 11, 10)
CHILD = 7
CERTIFIED = {CHILD: [(dt.date(2026, 4, 1), dt.date(2027, 3, 31))]}


def line(key=1, visit=101, day=DAY, minutes=120, attendance="present", child=CHILD):
    return LineFacts(key, visit, child, day, minutes, attendance)


def flags(lines, closures=(), certified=None, visits=None, policy=POLICY):
    lines = lines if isinstance(lines, list) else [lines]
    return line_flags(
        lines,
        policy_on=lambda day: policy,
        closures=closures,
        certified=CERTIFIED if certified is None else certified,
        visits=visits
        if visits is not None
        else {CHILD: [CountedVisit(x.visit, x.date, x.minutes) for x in lines]},
    )


def test_a_clean_line_raises_no_flag():
    assert flags(line()) == {1: frozenset()}


def test_every_flag_at_once():
    bad = line(minutes=700, attendance=None)
    assert flags(bad, closures=[DAY], certified={}) == {
        1: frozenset({Flag.OVER_CAP, Flag.CLOSURE_DAY, Flag.NOT_CERTIFIED, Flag.NO_ATTENDANCE})
    }


# --- (a) over the cap ------------------------------------------------------------------------


def test_exactly_at_the_cap_is_not_over():
    visits = {CHILD: [CountedVisit(100, DAY, 480), CountedVisit(101, DAY, 120)]}
    assert flags(line(), visits=visits)[1] == frozenset()


def test_one_minute_over_the_cap_is_flagged():
    visits = {CHILD: [CountedVisit(100, DAY, 481), CountedVisit(101, DAY, 120)]}
    assert flags(line(), visits=visits)[1] == {Flag.OVER_CAP}


def test_only_the_visits_that_break_the_cap_are_flagged():
    first = line(key=1, visit=101, day=dt.date(2026, 11, 2), minutes=500)
    second = line(key=2, visit=102, day=dt.date(2026, 11, 3), minutes=60)
    third = line(key=3, visit=103, day=dt.date(2026, 11, 4), minutes=60)
    assert flags([first, second, third]) == {
        1: frozenset(),
        2: frozenset(),
        3: frozenset({Flag.OVER_CAP}),
    }


def test_visits_at_other_facilities_count_but_other_months_do_not():
    october = CountedVisit(90, dt.date(2026, 10, 31), 600)  # another month: another period
    elsewhere = CountedVisit(91, dt.date(2026, 11, 1), 500)  # another facility, same month
    visits = {CHILD: [october, elsewhere, CountedVisit(101, DAY, 120)]}
    assert flags(line(), visits=visits)[1] == {Flag.OVER_CAP}
    visits = {CHILD: [october, CountedVisit(101, DAY, 120)]}
    assert flags(line(), visits=visits)[1] == frozenset()


def test_a_visit_missing_from_the_counted_ones_comes_after_its_day():
    # A no-show billed is not among the attended visits: the visits up to its day count.
    visits = {CHILD: [CountedVisit(100, DAY, 500), CountedVisit(102, DAY + dt.timedelta(1), 99)]}
    assert flags(line(attendance="no_show"), visits=visits)[1] == {
        Flag.OVER_CAP,
        Flag.NO_ATTENDANCE,
    }


def test_another_childs_minutes_do_not_count():
    visits = {
        CHILD: [CountedVisit(101, DAY, 120)],
        8: [CountedVisit(200, DAY, 600)],
    }
    assert flags(line(), visits=visits)[1] == frozenset()


def test_a_line_of_zero_minutes_is_never_over_the_cap():
    visits = {CHILD: [CountedVisit(100, DAY, 600)]}
    assert Flag.OVER_CAP not in flags(line(minutes=0), visits=visits)[1]


def test_the_policy_of_the_lines_day_decides():
    loose = rules.Policy(
        2026,
        eligibility_end=rules.EligibilityEnd.FISCAL_YEAR_END_AGE_3,
        caps=(rules.Cap(rules.Period.FISCAL_YEAR, 160 * 60),),
        buckets=(
            rules.FundingBucket("national", rules.Period.MONTH, 600, national=True),
            rules.FundingBucket("tokyo", rules.Period.FISCAL_YEAR, None, national=False),
        ),
    )
    big = line(minutes=700)
    assert flags(big)[1] == {Flag.OVER_CAP}
    assert flags(big, policy=loose)[1] == frozenset()


# --- (b) closure day ---------------------------------------------------------------------------


def test_a_visit_on_a_closure_day_is_flagged_and_the_day_after_is_not():
    assert flags(line(), closures=[DAY])[1] == {Flag.CLOSURE_DAY}
    assert flags(line(), closures=[DAY - dt.timedelta(1)])[1] == frozenset()


# --- (c) certification -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "flagged"),
    [
        (DAY, DAY, False),  # a one-day validity covering the visit
        (DAY + dt.timedelta(1), dt.date(2027, 3, 31), True),  # begins the day after
        (dt.date(2026, 4, 1), DAY - dt.timedelta(1), True),  # ended the day before
        (dt.date(2026, 4, 1), DAY, False),  # last certified day is the visit
    ],
)
def test_certification_must_cover_the_day(first, last, flagged):
    got = flags(line(), certified={CHILD: [(first, last)]})[1]
    assert (Flag.NOT_CERTIFIED in got) is flagged


def test_no_certification_or_only_another_childs_is_flagged():
    assert flags(line(), certified={})[1] == {Flag.NOT_CERTIFIED}
    assert flags(line(), certified={8: CERTIFIED[CHILD]})[1] == {Flag.NOT_CERTIFIED}


def test_any_of_several_certifications_covers():
    periods = [(dt.date(2026, 4, 1), dt.date(2026, 6, 30)), (dt.date(2026, 11, 1), DAY)]
    assert flags(line(), certified={CHILD: periods})[1] == frozenset()


# --- (d) attendance ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attendance", "flagged"), [("present", False), ("no_show", True), (None, True)]
)
def test_a_visit_needs_a_present_attendance(attendance, flagged):
    assert (Flag.NO_ATTENDANCE in flags(line(attendance=attendance))[1]) is flagged
