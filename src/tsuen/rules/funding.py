"""Who pays for each minute: the ordered funding buckets.

A visit's minutes fill the first bucket that has room in its period (calendar month or fiscal
year of the visit's date), then the next. National buckets take no minutes on days after the
child's national eligibility end, so ward-extension days go only to ward buckets. Earlier
visits are replayed in date order through the same filling, so the room left in each bucket is
exactly what the earlier visits did not take.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .errors import RuleError
from .periods import Period, fiscal_year_of, require_date
from .policy import Policy
from .visits import Visit


@dataclass(frozen=True)
class BucketShare:
    """Minutes of one visit funded by one bucket (`bucket_index` into policy.buckets)."""

    bucket_index: int
    payer: str
    minutes: int


@dataclass(frozen=True)
class BucketSplit:
    """How one visit's minutes were funded; `shares` lists only buckets that took minutes."""

    visit: Visit
    shares: tuple[BucketShare, ...]
    unfunded_minutes: int

    @property
    def funded_minutes(self) -> int:
        return sum(s.minutes for s in self.shares)


type _Key = tuple[int, tuple[int, int] | int]


def _period_key(period: Period, day: date) -> tuple[int, int] | int:
    if period is Period.MONTH:
        return (day.year, day.month)
    return fiscal_year_of(day)


def _fill(
    policy: Policy, used: dict[_Key, int], visit: Visit, national_last_day: date
) -> BucketSplit:
    remaining = visit.minutes
    shares = []
    for index, bucket in enumerate(policy.buckets):
        if remaining == 0:
            break
        if bucket.national and visit.date > national_last_day:
            continue
        key = (index, _period_key(bucket.period, visit.date))
        if bucket.limit_minutes is None:
            take = remaining
        else:
            take = min(remaining, bucket.limit_minutes - used.get(key, 0))
        if take > 0:
            used[key] = used.get(key, 0) + take
            shares.append(BucketShare(index, bucket.payer, take))
            remaining -= take
    return BucketSplit(visit=visit, shares=tuple(shares), unfunded_minutes=remaining)


def _in_order(visits: Sequence[Visit]) -> list[int]:
    # Stable: visits on the same day keep the order given (pass them in start-time order).
    return sorted(range(len(visits)), key=lambda i: visits[i].date)


def fund_visits(
    policy: Policy, visits: Iterable[Visit], national_last_day: date
) -> tuple[BucketSplit, ...]:
    """Split every visit of one child in the policy's fiscal year; results follow input order.

    Visits are funded in date order (same-day visits in the order given). This is the function
    for a month's claim: pass all the child's funded visits of the fiscal year up to that month.
    """
    require_date(national_last_day, "national_last_day")
    visits = tuple(visits)
    for visit in visits:
        policy.check_date(visit.date, "visit date")
    used: dict[_Key, int] = {}
    splits: dict[int, BucketSplit] = {}
    for i in _in_order(visits):
        splits[i] = _fill(policy, used, visits[i], national_last_day)
    return tuple(splits[i] for i in range(len(visits)))


def split_into_buckets(
    policy: Policy, earlier_visits: Iterable[Visit], visit: Visit, national_last_day: date
) -> BucketSplit:
    """Split one visit across the buckets, after the child's earlier visits took their room.

    `earlier_visits` may include visits of other fiscal years (they share no period with the
    visit and are ignored) but none dated after `visit`; same-day visits count as earlier in
    the order given.
    """
    require_date(national_last_day, "national_last_day")
    policy.check_date(visit.date, "visit date")
    earlier = tuple(earlier_visits)
    for e in earlier:
        if e.date > visit.date:
            raise RuleError(
                "earlier_visit_after_visit",
                f"An earlier visit is dated {e.date}, after the visit on {visit.date}; "
                "use fund_visits to fund visits booked out of date order.",
            )
    same_year = [e for e in earlier if policy.first_day <= e.date <= policy.last_day]
    used: dict[_Key, int] = {}
    for i in _in_order(same_year):
        _fill(policy, used, same_year[i], national_last_day)
    return _fill(policy, used, visit, national_last_day)
