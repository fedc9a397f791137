"""Is the facility open? Closure days close; national holidays close unless opened."""

from tsuen.rules import DayFacts, closed_because, is_open
from tsuen.rules.calendar import CLOSURE, HOLIDAY


def test_an_ordinary_day_is_open():
    assert is_open(DayFacts()) and closed_because(DayFacts()) is None


def test_a_national_holiday_is_closed_unless_the_facility_opened_it():
    assert closed_because(DayFacts(holiday="成人の日")) == HOLIDAY
    assert is_open(DayFacts(holiday="成人の日", opened=True))


def test_a_closure_closes_even_an_opened_holiday():
    assert closed_because(DayFacts(closed=True)) == CLOSURE
    assert closed_because(DayFacts(holiday="文化の日", opened=True, closed=True)) == CLOSURE
