"""What a new policy version would do to bookings already made (the policy editor's preview).

Pure: the caller passes the old and the new policy, the month looked at, the day it is looked
from, and for each child its birth date, the visits that count towards its caps in the fiscal
year up to the end of that month, and its live bookings in the month (with what the fee
depends on).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .eligibility import eligibility_window
from .fees import user_fee
from .periods import month_bounds, period_bounds, require_date
from .policy import Cap, FeeClass, Policy
from .visits import Visit


@dataclass(frozen=True)
class BookedVisit:
    """One live booking in the month: its day, billed minutes and what its fee depends on."""

    date: date
    minutes: int
    fee_per_hour: int
    fee_class: FeeClass
    resident: bool


@dataclass(frozen=True)
class ChildBookings:
    """One child as the comparison sees it; `key` is the caller's id for the child."""

    key: int
    birth: date
    counted: tuple[Visit, ...]
    booked: tuple[BookedVisit, ...]


@dataclass(frozen=True)
class CapExcess:
    """A child whose minutes in a cap's period (holding the month) exceed the new cap."""

    key: int
    cap: Cap
    used: int

    @property
    def limit(self) -> int:
        return self.cap.limit_minutes


@dataclass(frozen=True)
class EligibilityChange:
    key: int
    old_last_day: date
    new_last_day: date


@dataclass(frozen=True)
class PolicyChangeEffect:
    """over_cap: children above a new cap; outside_window: (key, day) of bookings dated beyond
    the new booking window from as_of; fee_changes: how many bookings' family fee changes and
    the total difference in yen (new minus old); eligibility: children whose last day moves."""

    over_cap: tuple[CapExcess, ...]
    outside_window: tuple[tuple[int, date], ...]
    fee_changes: int
    fee_difference: int
    eligibility: tuple[EligibilityChange, ...]


def _net(visit: BookedVisit, policy: Policy) -> int:
    return user_fee(visit.minutes, visit.fee_per_hour, visit.fee_class, policy, visit.resident).net


def policy_change_effect(
    old: Policy, new: Policy, month_day: date, as_of: date, children: Iterable[ChildBookings]
) -> PolicyChangeEffect:
    """Compare `old` and `new` for the calendar month holding `month_day` (which must lie in
    the new policy's fiscal year). A cap's usage is the child's counted minutes in the cap's
    period that holds the month, up to the month's end (later visits are not passed)."""
    require_date(as_of, "as_of")
    new.check_date(month_day, "month_day")
    first, last = month_bounds(month_day)
    window_end = as_of + timedelta(days=new.booking_window_days)
    over_cap, outside, eligibility = [], [], []
    fee_changes = fee_difference = 0
    for child in children:
        for cap in new.caps:
            start, end = period_bounds(cap.period, first)
            used = sum(v.minutes for v in child.counted if start <= v.date <= min(end, last))
            if used > cap.limit_minutes:
                over_cap.append(CapExcess(child.key, cap, used))
        for visit in child.booked:
            if visit.date > window_end:
                outside.append((child.key, visit.date))
            difference = _net(visit, new) - _net(visit, old)
            if difference:
                fee_changes += 1
                fee_difference += difference
        before = eligibility_window(child.birth, old).last_day
        after = eligibility_window(child.birth, new).last_day
        if before != after:
            eligibility.append(EligibilityChange(child.key, before, after))
    return PolicyChangeEffect(
        over_cap=tuple(over_cap),
        outside_window=tuple(outside),
        fee_changes=fee_changes,
        fee_difference=fee_difference,
        eligibility=tuple(eligibility),
    )
