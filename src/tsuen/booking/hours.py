"""A child's hours: used and remaining minutes under each cap and funding bucket.

What counts is exactly what the booking service counts against the caps
(``services.counting_bookings``): confirmed bookings (a no-show stays confirmed) and late
cancellations marked ``counts_toward_caps`` when the policy says they count; a no-show that the
policy does not count must have ``counts_toward_caps`` cleared by whoever records it. Minutes
are each visit's billed minutes (``attendance.models.visit_minutes``: the booked time, plus real
time outside it once checked out), the same figure the statement and the claim use. The
municipality's policy in force on the day asked about decides the caps and buckets; buckets
are filled by replaying the fiscal year's visits in date order (``rules.fund_visits``), so
the page shows exactly what a claim would fund.

One query for the bookings of the fiscal year, whatever their number: the page's query count
does not grow with a family's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404

from tsuen import rules
from tsuen.attendance.models import AttendanceStatus, visit_minutes
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking import services
from tsuen.booking.models import Booking, BookingStatus
from tsuen.booking.services import PAYER_LABELS
from tsuen.core import clock
from tsuen.families.models import Child
from tsuen.municipalities.models import MunicipalPolicy, policy_for

CHILD_FIELDS = ("family_name", "given_name", "birth_date")
VISIT_FIELDS = ("date", "starts_at", "ends_at", "status", "billable_minutes")


def hours_text(minutes: int | None) -> str:
    """Minutes as hours for people: 450 -> "7.5", 600 -> "10" ("" for no limit)."""
    return "" if minutes is None else services.hours(minutes)


@dataclass(frozen=True)
class Usage:
    """One cap or funding bucket: its limit over its period (``None``: no limit), the minutes
    used this month and this fiscal year, and what is left in the period holding the day."""

    kind: str  # "cap" or "bucket"
    payer: str  # a bucket's payer; "" for a cap
    period: rules.Period
    period_start: dt.date
    period_end: dt.date
    limit_minutes: int | None
    used_minutes: int  # in the limit's own period
    month_minutes: int
    fiscal_year_minutes: int

    @property
    def remaining_minutes(self) -> int | None:
        if self.limit_minutes is None:
            return None
        return max(0, self.limit_minutes - self.used_minutes)

    @property
    def is_monthly(self) -> bool:
        return self.period is rules.Period.MONTH

    @property
    def payer_label(self) -> str:
        return str(PAYER_LABELS.get(self.payer, self.payer))

    limit_hours = property(lambda self: hours_text(self.limit_minutes))
    used_hours = property(lambda self: hours_text(self.used_minutes))
    month_hours = property(lambda self: hours_text(self.month_minutes))
    fiscal_year_hours = property(lambda self: hours_text(self.fiscal_year_minutes))
    remaining_hours = property(lambda self: hours_text(self.remaining_minutes))


@dataclass(frozen=True)
class VisitLine:
    """A booking that counts, with the payers who fund its minutes."""

    booking: Booking
    minutes: int
    counted_as: str  # "booked", "late_cancelled" or "no_show"
    shares: tuple[tuple[str, int], ...]  # (payer, minutes)
    unfunded_minutes: int

    hours = property(lambda self: hours_text(self.minutes))

    @property
    def funding(self) -> list[tuple[str, str]]:
        """(payer label, hours) per payer, for the page."""
        return [(str(PAYER_LABELS.get(p, p)), hours_text(m)) for p, m in self.shares]


@dataclass(frozen=True)
class HoursSummary:
    child: Child
    on: dt.date
    month_start: dt.date
    month_end: dt.date
    fiscal_year: int
    policy_missing: bool
    caps: tuple[Usage, ...]
    buckets: tuple[Usage, ...]
    month_visits: tuple[VisitLine, ...]
    fiscal_year_visits: tuple[VisitLine, ...]

    @property
    def month_minutes(self) -> int:
        return sum(v.minutes for v in self.month_visits)

    @property
    def fiscal_year_minutes(self) -> int:
        return sum(v.minutes for v in self.fiscal_year_visits)

    month_hours = property(lambda self: hours_text(self.month_minutes))
    fiscal_year_hours = property(lambda self: hours_text(self.fiscal_year_minutes))


def _counting_bookings(child: Child, start: dt.date, end: dt.date) -> list[Booking]:
    """The same bookings the booking service counts against the caps (one query)."""
    return list(
        services.counting_bookings([child.pk], start, end)
        .select_related("facility", "attendance")
        .order_by("date", "starts_at", "pk")
    )


def _counted_as(booking: Booking) -> str:
    if booking.status == BookingStatus.LATE_CANCELLED:
        return "late_cancelled"
    attendance = getattr(booking, "attendance", None)
    if attendance is not None and attendance.status == AttendanceStatus.NO_SHOW:
        return "no_show"
    return "booked"


def _summarise(child: Child, on: dt.date, policy_row: MunicipalPolicy | None) -> HoursSummary:
    fiscal_year = rules.fiscal_year_of(on)
    month_start, month_end = rules.month_bounds(on)
    if policy_row is None:
        return HoursSummary(child, on, month_start, month_end, fiscal_year, True, (), (), (), ())
    policy = policy_row.to_rules()
    fy_start, fy_end = rules.fiscal_year_bounds(fiscal_year)
    bookings = _counting_bookings(child, fy_start, fy_end)
    minutes = [visit_minutes(b, policy) for b in bookings]
    visits = [rules.Visit(b.date, m) for b, m in zip(bookings, minutes, strict=True)]
    splits = rules.fund_visits(policy, visits, rules.national_last_day(child.birth_date))
    lines = tuple(
        VisitLine(
            b,
            m,
            _counted_as(b),
            tuple((s.payer, s.minutes) for s in split.shares),
            split.unfunded_minutes,
        )
        for b, m, split in zip(bookings, minutes, splits, strict=True)
    )

    def in_month(day: dt.date) -> bool:
        return month_start <= day <= month_end

    caps = []
    for usage in rules.cap_usage(policy, visits, on):
        caps.append(
            Usage(
                "cap",
                "",
                usage.cap.period,
                usage.period_start,
                usage.period_end,
                usage.limit,
                usage.used,
                sum(v.minutes for v in visits if in_month(v.date)),
                sum(v.minutes for v in visits),
            )
        )
    buckets = []
    for index, bucket in enumerate(policy.buckets):
        taken = [
            (split.visit.date, share.minutes)
            for split in splits
            for share in split.shares
            if share.bucket_index == index
        ]
        start, end = rules.period_bounds(bucket.period, on)
        buckets.append(
            Usage(
                "bucket",
                bucket.payer,
                bucket.period,
                start,
                end,
                bucket.limit_minutes,
                sum(m for day, m in taken if start <= day <= end),
                sum(m for day, m in taken if in_month(day)),
                sum(m for _day, m in taken),
            )
        )
    return HoursSummary(
        child,
        on,
        month_start,
        month_end,
        fiscal_year,
        False,
        tuple(caps),
        tuple(buckets),
        tuple(line for line in lines if in_month(line.booking.date)),
        lines,
    )


def _policy_row(municipality_id: int, on: dt.date, cache: dict) -> MunicipalPolicy | None:
    if municipality_id not in cache:
        try:
            cache[municipality_id] = policy_for(municipality_id, on)
        except MunicipalPolicy.DoesNotExist:
            cache[municipality_id] = None
    return cache[municipality_id]


def _audit(summary: HoursSummary) -> None:
    record("read", summary.child, fields=CHILD_FIELDS)
    record_many("list", [line.booking for line in summary.fiscal_year_visits], VISIT_FIELDS)


def summary(user, child_id: int, on: dt.date | None = None) -> HoursSummary:
    """Used and remaining hours of one child, in the month and fiscal year holding ``on``."""
    on = on or clock.today()
    child = get_or_404(
        user, Action.HOURS_VIEW, Child.objects.select_related("household"), pk=child_id
    )
    result = _summarise(child, on, _policy_row(child.household.municipality_id, on, {}))
    _audit(result)
    return result


def summaries_for(user, on: dt.date | None = None) -> list[HoursSummary]:
    """The hours of every child the user may see (the family's hours page)."""
    require(user, Action.HOURS_VIEW, Child)
    if not user.is_family:  # staff read one child's hours at a time, through summary()
        raise Http404
    on = on or clock.today()
    children = filter_allowed(user, Action.HOURS_VIEW, Child.objects.all())
    cache: dict = {}
    results = []
    for child in children.select_related("household").order_by("birth_date", "pk"):
        result = _summarise(child, on, _policy_row(child.household.municipality_id, on, cache))
        _audit(result)
        results.append(result)
    return results
