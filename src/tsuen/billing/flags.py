"""Which lines of a claim the ward should look at: a pure function over facts loaded elsewhere.

No Django, no database, no clock: :func:`line_flags` takes the claim's lines and the facts
about them (attendance, closures, certifications, the child's counted visits, the policy) and
answers which flags each line raises. ``services_review`` loads the facts in a fixed number of
queries. docs/billing.md ("The ward's claim review") states the rules in plain words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tsuen import rules


class Flag(StrEnum):
    OVER_CAP = "over_cap"  # the child's minutes in a cap period exceed the policy cap
    CLOSURE_DAY = "closure_day"  # the facility was closed that day
    NOT_CERTIFIED = "not_certified"  # no certification of the child covered the day
    NO_ATTENDANCE = "no_attendance"  # no attendance record, or the child was a no-show


@dataclass(frozen=True)
class LineFacts:
    """One claim line as the flags see it. ``attendance`` is the visit's attendance status
    ("present", "no_show") or None when no attendance was recorded."""

    key: int  # the line's id
    visit: int  # the booking claimed
    child: int
    date: dt.date
    minutes: int
    attendance: str | None


@dataclass(frozen=True)
class CountedVisit:
    """A visit counting towards the child's caps (any facility): its booking, day, minutes."""

    visit: int
    date: dt.date
    minutes: int


def _earlier(line: LineFacts, visits: Sequence[CountedVisit]) -> list[rules.Visit]:
    """The child's counted visits before this line's visit (date order, the caller's order
    within a day). A line whose visit is not among them comes after every visit of its day."""
    position = next((i for i, v in enumerate(visits) if v.visit == line.visit), None)
    before = (
        visits[:position]
        if position is not None
        else [v for v in visits if v.date <= line.date and v.visit != line.visit]
    )
    return [rules.Visit(v.date, v.minutes) for v in before if v.minutes > 0]


def _over_cap(line: LineFacts, visits: Sequence[CountedVisit], policy: rules.Policy) -> bool:
    if line.minutes <= 0:
        return False
    check = rules.check_caps(policy, _earlier(line, visits), rules.Visit(line.date, line.minutes))
    return not check.ok


def line_flags(
    lines: Iterable[LineFacts],
    *,
    policy_on: Callable[[dt.date], rules.Policy],
    closures: Iterable[dt.date],
    certified: Mapping[int, Sequence[tuple[dt.date, dt.date]]],
    visits: Mapping[int, Sequence[CountedVisit]],
) -> dict[int, frozenset[Flag]]:
    """For each line (by key), the flags it raises; a line with none maps to an empty set.

    * ``policy_on(day)``: the paying ward's policy in force that day (for its caps);
    * ``closures``: the facility's closure days;
    * ``certified``: per child, the (first, last) days each certification covered;
    * ``visits``: per child, every visit counting towards the caps (attended, at any
      facility) in date order, the claimed ones included.

    A line is over a cap when the child's minutes in the cap's period, counting the visits up
    to and including this one, exceed the cap's limit (the visits that broke the cap are
    flagged, not the ones before).
    """
    closed = frozenset(closures)
    answer: dict[int, frozenset[Flag]] = {}
    for line in lines:
        flags = set()
        if _over_cap(line, visits.get(line.child, ()), policy_on(line.date)):
            flags.add(Flag.OVER_CAP)
        if line.date in closed:
            flags.add(Flag.CLOSURE_DAY)
        if not any(first <= line.date <= last for first, last in certified.get(line.child, ())):
            flags.add(Flag.NOT_CERTIFIED)
        if line.attendance != "present":
            flags.add(Flag.NO_ATTENDANCE)
        answer[line.key] = frozenset(flags)
    return answer
