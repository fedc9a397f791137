"""Whether a facility is open on a day: the one rule every booking path and slot generator
applies (the dates of holidays and closures are looked up by the caller)."""

from __future__ import annotations

from dataclasses import dataclass

#: Why a day is closed.
CLOSURE = "closure"  # the facility closed the day (its closure list)
HOLIDAY = "holiday"  # a national holiday the facility has not opened


@dataclass(frozen=True)
class DayFacts:
    """What is known about one day at one facility."""

    holiday: str = ""  # the national holiday's name, "" on an ordinary day
    closed: bool = False  # the facility listed the day as closed
    closure_reason: str = ""
    opened: bool = False  # the facility explicitly opened this national holiday


def closed_because(facts: DayFacts) -> str | None:
    """``None`` when the facility is open that day, else why it is closed (``CLOSURE`` or
    ``HOLIDAY``). A closure wins over everything; a national holiday is closed unless the
    facility opened it explicitly; every other day is open."""
    if facts.closed:
        return CLOSURE
    if facts.holiday and not facts.opened:
        return HOLIDAY
    return None


def is_open(facts: DayFacts) -> bool:
    return closed_because(facts) is None
