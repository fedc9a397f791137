"""Hours caps: a child's total billed minutes over each cap's period, across all facilities.

There is no carry-over and no borrowing: each period counts only the visits dated inside it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .periods import period_bounds
from .policy import Cap, Policy
from .visits import Visit


@dataclass(frozen=True)
class CapUsage:
    """Minutes used under one cap in the period holding a given day."""

    cap: Cap
    period_start: date
    period_end: date
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class CapCheck:
    """The answer to "may this visit be booked?": `broken` lists each cap it would break,
    with the minutes already used there (without the new visit)."""

    ok: bool
    broken: tuple[CapUsage, ...]


def cap_usage(policy: Policy, visits: Iterable[Visit], on_date: date) -> tuple[CapUsage, ...]:
    """For each cap, in policy order, the minutes used in the period that holds `on_date`."""
    policy.check_date(on_date, "on_date")
    visits = tuple(visits)
    usages = []
    for cap in policy.caps:
        start, end = period_bounds(cap.period, on_date)
        used = sum(v.minutes for v in visits if start <= v.date <= end)
        usages.append(CapUsage(cap, start, end, used, cap.limit_minutes))
    return tuple(usages)


def check_caps(policy: Policy, existing_visits: Iterable[Visit], new_visit: Visit) -> CapCheck:
    """Whether `new_visit` fits under every cap given the visits already counted.

    `existing_visits` are everything that counts towards the caps (visits, bookings, and late
    cancellations and no-shows when the policy says they count); those outside a cap's period
    are ignored.
    """
    usages = cap_usage(policy, existing_visits, new_visit.date)
    broken = tuple(u for u in usages if u.used + new_visit.minutes > u.limit)
    return CapCheck(ok=not broken, broken=broken)


def reaches_share_of_cap(used: int, limit: int, percent: int) -> bool:
    """Whether `used` minutes reach `percent` % of a cap's `limit` (a cap's limit is above
    zero). Exact, in whole numbers: with a 600-minute cap, 480 minutes reach 80 % and 479 do
    not. Used by the ward's dashboard to list the children near a cap."""
    return used * 100 >= limit * percent
