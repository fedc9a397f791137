"""Is the facility open on this date? The one answer for every path that offers or books a
place: slot generation, the public calendar and search, flexible and sibling bookings,
regular-use allocation, the waitlist, and the demo loader.

The rule itself is pure (``tsuen.rules.calendar``): a closure day is closed; a national holiday
(jpholiday) is closed unless the facility opened it explicitly (``HolidayOpening``); every other
day is open. Here the facts are looked up in the database, on the unscoped managers (a
facility's calendar is public and the same whoever asks).
"""

from __future__ import annotations

import datetime as dt

import jpholiday
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.facilities.models import ClosureDay, HolidayOpening, PlaceTemplate
from tsuen.rules.calendar import CLOSURE, HOLIDAY


def holidays_between(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """National holidays (jpholiday) by date, with their Japanese names."""
    return dict(jpholiday.between(start, end))


def holiday_name(day: dt.date) -> str:
    return jpholiday.is_holiday_name(day) or ""


def day_facts(facility_id: int, start: dt.date, end: dt.date) -> dict[dt.date, rules.DayFacts]:
    """The facts of every day ``start``..``end`` at one facility (three queries at most)."""
    holidays = holidays_between(start, end)
    closures = dict(
        ClosureDay.unscoped.filter(facility_id=facility_id, date__range=(start, end)).values_list(
            "date", "reason"
        )
    )
    opened = set()
    if holidays:
        opened = set(
            HolidayOpening.unscoped.filter(
                facility_id=facility_id, date__in=list(holidays)
            ).values_list("date", flat=True)
        )
    facts = {}
    day = start
    while day <= end:
        facts[day] = rules.DayFacts(
            holiday=holidays.get(day, ""),
            closed=day in closures,
            closure_reason=closures.get(day) or "",
            opened=day in opened,
        )
        day += dt.timedelta(days=1)
    return facts


def why_closed(facts: rules.DayFacts) -> str:
    """The reason in the user's words, "" when the facility is open."""
    reason = rules.closed_because(facts)
    if reason == CLOSURE:
        return facts.closure_reason or _("Closed")
    if reason == HOLIDAY:
        return _("National holiday (%(name)s)") % {"name": facts.holiday}
    return ""


def closed_days(facility_id: int, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The days ``start``..``end`` on which the facility is closed, with why."""
    return {
        day: why_closed(facts)
        for day, facts in day_facts(facility_id, start, end).items()
        if not rules.is_open(facts)
    }


def closed_reason(facility_id: int, day: dt.date) -> str:
    """Why the facility is closed on ``day``; "" when it is open."""
    return why_closed(day_facts(facility_id, day, day)[day])


def is_open(facility_id: int, day: dt.date) -> bool:
    return not closed_reason(facility_id, day)


def open_on(start: dt.date, end: dt.date, *, facility: str = "facility", date: str = "date") -> Q:
    """A filter for rows (place slots) whose facility is open on their date, ``start``..``end``:
    the same rule as :func:`closed_reason`, in the query (for the search and its counts)."""
    closed = ClosureDay.unscoped.filter(facility=OuterRef(facility), date=OuterRef(date))
    opened = HolidayOpening.unscoped.filter(facility=OuterRef(facility), date=OuterRef(date))
    holidays = list(holidays_between(start, end))
    if not holidays:
        return ~Exists(closed)
    return ~Exists(closed) & (~Q(**{f"{date}__in": holidays}) | Exists(opened))


def opening_weekdays(facility_id: int) -> set[int]:
    """The ISO weekdays (1 Monday .. 7 Sunday) on which the facility's weekly template offers
    places: the days of the week it opens at all."""
    return set(
        PlaceTemplate.unscoped.filter(facility_id=facility_id).values_list("weekday", flat=True)
    )
