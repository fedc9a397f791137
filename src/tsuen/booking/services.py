"""The booking engine (予約): preview, book, book siblings together, cancel.

Every rule of the brief is checked here, not only in the form. A booking is one short
transaction that locks the scarce things in a fixed order: first the place slot(s)
(``SELECT ... FOR UPDATE``, sorted by pk), then the child row(s) (sorted by pk; a child's row
stands for all of its cap periods, across every facility), then recounts (there is no stored
"places left" or "hours used" counter that could drift) and only then writes. Two requests for
the last place, or for one child's last hours at two facilities, therefore queue instead of
both passing. On PostgreSQL a GiST exclusion constraint is the last wall against overlapping
bookings of one child; on SQLite the whole-database write lock serialises writers.

What the user acts on is loaded through the tenant-scoped managers and the authorization
layer; the recounts read every ward's rows (unscoped), because a child's hours and a slot's
places are counted across wards. Background callers wrap themselves in
``tenancy.cross_tenant(reason)``.

``LOCKING`` exists for the concurrency tests only: switched off, the race tests must see
overselling, which proves they can see the bug.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db import IntegrityError, connections, transaction
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, JSONArray
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from tsuen import rules
from tsuen.attendance.models import visit_minutes_of
from tsuen.audit import record
from tsuen.authz.policy import Action, AllowedQuery, allows_any, filter_allowed, get_or_404
from tsuen.booking.models import HOLDING_STATUSES, Booking, BookingKind, BookingStatus
from tsuen.booking.signals import place_freed
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock, compiled, dates
from tsuen.core.compiled import CompiledQuery, JSONList
from tsuen.core.compiled import cursor as compiled_cursor
from tsuen.facilities import calendar
from tsuen.facilities.models import (
    ClosureDay,
    HolidayOpening,
    Interview,
    InterviewStatus,
    PlaceSlot,
)
from tsuen.families.models import Child, HouseholdFeeClass
from tsuen.families.services import family_accounts
from tsuen.municipalities.models import (
    MunicipalPolicy,
    in_force,
    rule_record,
    rules_for,
    rules_of_record,
)
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify, notify_facility
from tsuen.webhooks import outbox
from tsuen.webhooks.models import EventType

#: Lock the slot and the child before recounting. Only the control run of the race tests
#: switches this off (it must then oversell).
LOCKING = True

#: Called between the recount and the write; tests install a pause here to widen the race
#: window deterministically. Never set in production.
before_write: Callable[[], None] | None = None

#: Statuses whose minutes may count towards the caps (``counts_toward_caps`` decides).
COUNTING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.LATE_CANCELLED)
#: Fields of a booking a family's or facility's page shows (for the audit trail).
BOOKING_FIELDS = ("child", "facility", "date", "starts_at", "ends_at", "status")

# --- Refusals ------------------------------------------------------------------------------

MESSAGES = {
    "not_family": gettext_lazy("Only the family of a child can book for the child."),
    "facility_suspended": gettext_lazy("This facility is not taking bookings at the moment."),
    "kind_not_offered": gettext_lazy("This facility does not offer this kind of use."),
    "facility_closed": gettext_lazy("The facility is closed on this day (%(reason)s)."),
    "no_policy": gettext_lazy(
        "The municipality has not yet set its rules for this day, so it cannot be booked yet."
    ),
    "not_certified": gettext_lazy("%(child)s is not certified on this day."),
    "too_young": gettext_lazy("%(child)s is not old enough to attend on this day."),
    "aged_out": gettext_lazy("%(child)s is past the age for this programme on this day."),
    "excluded_enrolment": gettext_lazy(
        "%(child)s attends a facility that excludes this programme."
    ),
    "no_interview": gettext_lazy(
        "%(child)s needs an accepted first interview at this facility before booking a visit."
    ),
    "wrong_age_class": gettext_lazy(
        "These places are for age class %(slot_class)s; %(child)s is in age class %(child_class)s."
    ),
    "outside_slot": gettext_lazy("Choose a time between %(start)s and %(end)s."),
    "visit_end_not_after_start": gettext_lazy("The end must be after the start."),
    "booking_too_short": gettext_lazy("A visit lasts at least %(minimum)s minutes."),
    "booking_off_step_grid": gettext_lazy(
        "A visit lasts %(minimum)s minutes and then goes in steps of %(step)s minutes."
    ),
    "in_past": gettext_lazy("This time has already begun or passed."),
    "window_not_open": gettext_lazy(
        "Bookings open %(days)s days ahead: this day can be booked from %(opens)s."
    ),
    "overlap": gettext_lazy("%(child)s already has a booking at this time."),
    "full": gettext_lazy("There is no place left at this time. You can join the waitlist."),
    "cap_exceeded": gettext_lazy(
        "%(child)s would go over the limit of %(limit)s hours (%(first)s to %(last)s): "
        "%(used)s hours are already booked or used, and this visit adds %(adds)s."
    ),
    "siblings_need_two": gettext_lazy("Choose at least two children to book together."),
    "siblings_not_one_household": gettext_lazy(
        "Children booked together must belong to one household."
    ),
    "siblings_not_one_facility": gettext_lazy(
        "Children booked together must go to the same facility on the same day."
    ),
    "not_cancellable": gettext_lazy("This booking is no longer open, so it cannot be cancelled."),
    "already_started": gettext_lazy("This visit has already begun, so it cannot be cancelled."),
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


class BookingRefused(Exception):
    """A booking (or cancellation) refused by a rule: ``code`` is stable, ``message`` is in
    the user's language. ``problems`` lists every rule that refused; ``existing`` is the live
    booking that overlaps, when that is the reason (a double-submitted form finds its twin);
    ``places_left`` the free places of each slot the refused booking counted, by slot id (the
    count under the lock: the page that shows the refusal need not count again);
    ``names_recorded``: the read of the children its answer names is already in the audit
    trail (recorded with the refusal: ``names_on_refusal`` of :func:`book`)."""

    names_recorded = False

    def __init__(
        self,
        problems: Sequence[Problem],
        existing: Booking | None = None,
        places_left: dict[int, int] | None = None,
    ):
        self.problems = tuple(problems)
        self.code = self.problems[0].code
        self.message = self.problems[0].message
        self.existing = existing
        self.places_left = places_left or {}
        super().__init__(self.message)


def _problem(code: str, **params) -> Problem:
    text = str(MESSAGES[code])
    return Problem(code, text % params if params else text)


def _refuse(code: str, **params) -> BookingRefused:
    return BookingRefused([_problem(code, **params)])


# --- Small helpers -----------------------------------------------------------------------


def hours(minutes: int) -> str:
    """Minutes as hours for people: 90 -> "1.5", 600 -> "10"."""
    whole, rest = divmod(minutes, 60)
    if not rest:
        return str(whole)
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _tz():
    return timezone.get_default_timezone()


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=_tz())


def counting_bookings(child_ids: Iterable[int], first: dt.date, last: dt.date):
    """The bookings of these children, dated first..last, whose minutes count towards the caps:
    confirmed ones, and late cancellations (and no-shows) that the policy made count."""
    return Booking.unscoped.filter(
        child_id__in=list(child_ids),
        date__range=(first, last),
        status__in=COUNTING_STATUSES,
        counts_toward_caps=True,
    )


def _fee_class_on(household_id: int, day: dt.date) -> rules.FeeClass:
    row = (
        HouseholdFeeClass.unscoped.filter(household_id=household_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from", "-pk")
        .first()
    )
    return rules.FeeClass(row.fee_class) if row and row.fee_class else rules.FeeClass.NONE


# --- The checks shared by preview and book ------------------------------------------------


#: How payers are named on the page; any other payer is shown as the policy spells it.
PAYER_LABELS = {
    rules.NATIONAL_PAYER: _("National benefit"),
    rules.PREFECTURE_PAYER: _("Prefecture programme"),
    "tokyo": _("Tokyo programme"),  # claims made before payers came from a list
    "ward": _("Municipality"),
    "municipality": _("Municipality"),
}


@dataclass(frozen=True)
class CapLine:
    """One hours cap in the period of the visit: before and after this booking."""

    period: str
    period_start: dt.date
    period_end: dt.date
    used: int
    adds: int
    limit: int

    @property
    def used_after(self) -> int:
        return self.used + self.adds

    @property
    def remaining_after(self) -> int:
        return max(0, self.limit - self.used_after)

    @property
    def ok(self) -> bool:
        return self.used_after <= self.limit

    used_hours = property(lambda self: hours(self.used))
    adds_hours = property(lambda self: hours(self.adds))
    after_hours = property(lambda self: hours(self.used_after))
    limit_hours = property(lambda self: hours(self.limit))
    left_hours = property(lambda self: hours(self.remaining_after))


@dataclass(frozen=True)
class Funding:
    payer: str
    minutes: int

    @property
    def hours(self) -> str:
        return hours(self.minutes)

    @property
    def payer_label(self) -> str:
        return str(PAYER_LABELS.get(self.payer, self.payer))


@dataclass(frozen=True)
class Preview:
    """What a booking would be, before it is made: nothing is written."""

    child: Child
    slot: PlaceSlot
    starts_at: dt.datetime
    ends_at: dt.datetime
    minutes: int | None
    caps: tuple[CapLine, ...] = ()
    buckets: tuple[rules.BucketShare, ...] = ()
    unfunded_minutes: int = 0
    fee: rules.FeeBreakdown | None = None
    fee_class: rules.FeeClass | None = None
    resident: bool = False
    places_left: int = 0
    cancel_deadline: dt.datetime | None = None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def facility(self):
        return self.slot.facility

    @property
    def hours(self) -> str:
        return hours(self.minutes or 0)

    @property
    def funding(self) -> list[Funding]:
        """Minutes per payer (the funding buckets this visit would fill, in order)."""
        lines = [Funding(share.payer, share.minutes) for share in self.buckets]
        if self.unfunded_minutes:
            lines.append(Funding("—", self.unfunded_minutes))
        return lines


@dataclass(frozen=True)
class _Facts:
    """What the rules need from the database about one child in one slot, read in one statement
    (:func:`_facts`). Read after the locks, the counts are the recount."""

    closed_reason: str
    certified: bool
    interviewed: bool
    overlapping_id: int | None
    capacity: int
    taken: int
    held: int
    # The child's visits counting towards the caps in the day's fiscal year, as the statement
    # read them: (date, starts_at, ends_at, billable_minutes, attendance status, checked in,
    # checked out), the last three None without an attendance (:func:`_counted_visits`).
    visits: list

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.taken - self.held)


def _count(queryset, field: str):
    """A correlated ``COUNT(*)`` of ``queryset`` as a subquery expression (0 when none)."""
    counted = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _facts_query(holiday: bool) -> QuerySet:
    """The statement of :func:`_facts`, built once per process (a national holiday adds the
    facility's opening on the day)."""

    def build(child_id, slot_id, facility_id, day, starts_at, ends_at, now, first, last):
        from tsuen.booking.waitlist import held_places_expression

        closures = ClosureDay.unscoped.filter(facility_id=facility_id, date=day)
        annotations = {
            "closed": Exists(closures),
            "closure_reason": Subquery(closures.values("reason")[:1]),
            "opened": Exists(HolidayOpening.unscoped.filter(facility_id=facility_id, date=day))
            if holiday
            else Value(False),
            "certified": Exists(
                Certification.unscoped.filter(
                    child_id=child_id,
                    status=CertificationStatus.ACTIVE,
                    valid_from__lte=day,
                    valid_to__gte=day,
                )
            ),
            "interviewed": Exists(
                Interview.unscoped.filter(
                    child_id=child_id, facility_id=facility_id, status=InterviewStatus.ACCEPTED
                )
            ),
            "overlapping_id": Subquery(
                Booking.unscoped.filter(
                    child_id=child_id,
                    status=BookingStatus.CONFIRMED,
                    starts_at__lt=ends_at,
                    ends_at__gt=starts_at,
                )
                .order_by("pk")
                .values("pk")[:1]
            ),
            "taken": _count(
                Booking.unscoped.filter(place_slot=OuterRef("pk"), status__in=HOLDING_STATUSES),
                "place_slot",
            ),
            "held": held_places_expression(now),
            "visits": Subquery(
                counting_bookings([child_id], first, last)
                .order_by()
                .values("child_id")
                .annotate(
                    visits=JSONList(
                        JSONArray(
                            "date",
                            "starts_at",
                            "ends_at",
                            "billable_minutes",
                            "attendance__status",
                            "attendance__checked_in_at",
                            "attendance__checked_out_at",
                        )
                    )
                )
                .values("visits")
            ),
        }
        return (
            PlaceSlot.unscoped.filter(pk=slot_id)
            .annotate(**annotations)
            .values("capacity", *annotations)
        )

    kinds = dict(facility_id="int", day="date", starts_at="datetime", ends_at="datetime")
    return CompiledQuery(
        build, child_id="int", slot_id="int", now="datetime", first="date", last="date", **kinds
    )


#: The statement of facts, compiled once per process: on an ordinary day, on a national holiday.
_FACTS = {holiday: _facts_query(holiday) for holiday in (False, True)}


def _facts(
    child: Child, slot: PlaceSlot, starts_at: dt.datetime, ends_at: dt.datetime, now
) -> _Facts:
    """One SELECT on the slot's row with a subquery per fact: the facility's closure (and, on a
    national holiday, its opening), the child's certification on the day, its accepted
    interview at the facility, a confirmed booking of the child overlapping the visit, and the
    slot's capacity, confirmed bookings and places held for open waitlist offers; and the
    child's visits counting towards the caps in the day's fiscal year (every cap period of a day
    lies in it), as one JSON list. The same facts as ``facilities.calendar.closed_reason``,
    ``waitlist.places_left`` and the queries they replace, on the unscoped managers (a slot's
    places and a child's bookings are counted across wards). The booking confirm's hot path:
    compiled once (``tsuen.core.compiled``)."""
    day = slot.date
    holiday = calendar.holiday_name(day)
    first, last = rules.fiscal_year_bounds(rules.fiscal_year_of(day))
    row = _FACTS[bool(holiday)].row(
        child_id=child.pk,
        slot_id=slot.pk,
        facility_id=slot.facility_id,
        day=day,
        starts_at=starts_at,
        ends_at=ends_at,
        now=now,
        first=first,
        last=last,
    )
    facts = rules.DayFacts(
        holiday=holiday,
        closed=bool(row["closed"]),
        closure_reason=row["closure_reason"] or "",
        opened=bool(row["opened"]),
    )
    return _Facts(
        closed_reason=calendar.why_closed(facts),
        certified=bool(row["certified"]),
        interviewed=bool(row["interviewed"]),
        overlapping_id=row["overlapping_id"],
        capacity=row["capacity"],
        taken=row["taken"],
        held=row["held"],
        visits=[
            (
                dt.date.fromisoformat(day),
                _instant(starts),
                _instant(ends),
                minutes,
                status,
                _instant(checked_in),
                _instant(checked_out),
            )
            for day, starts, ends, minutes, status, checked_in, checked_out in json.loads(
                row["visits"] or "[]"
            )
        ],
    )


def _instant(text: str | None) -> dt.datetime | None:
    """A moment as the JSON list holds it: ISO text with its offset (PostgreSQL), or without
    one (SQLite keeps UTC without saying so)."""
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _counted_visits(facts: _Facts, policy: rules.Policy) -> list[tuple[dt.date, dt.datetime, int]]:
    """(date, start, minutes) of the child's visits that count towards the caps, from the
    statement of facts. The minutes are computed here, not summed in SQL: a checked-out visit
    counts its real times under the child's policy (``visit_minutes``)."""
    return sorted(
        (day, starts, visit_minutes_of(starts, ends, minutes, status, checked_in, out, policy))
        for day, starts, ends, minutes, status, checked_in, out in facts.visits
    )


#: ``_evaluate``'s policy argument when the caller has not read it: read it.
_READ_POLICY = object()


def _evaluate(
    child: Child,
    slot: PlaceSlot,
    start: dt.time,
    end: dt.time,
    kind: str,
    now: dt.datetime,
    *,
    full_detail: bool = True,
    policy=_READ_POLICY,
) -> Preview:
    """Apply every booking rule to one child in one slot; answers a Preview with problems.

    Reads only: the child's municipality's policy (unless the caller passes the one it read,
    ``None`` when there is none), one statement of facts (:func:`_facts`) and, when the visit's
    length is valid, the visits counting towards the caps. ``full_detail`` adds what only the
    preview shows (funding, fee, deadline)."""
    facility = slot.facility
    day = slot.date
    name = child.full_name
    starts_at, ends_at = _at(day, start), _at(day, end)
    problems: list[Problem] = []

    if facility.suspended:
        problems.append(_problem("facility_suspended"))
    offered = facility.offers_flexible if kind == BookingKind.FLEXIBLE else facility.offers_regular
    if not offered:
        problems.append(_problem("kind_not_offered"))

    if policy is _READ_POLICY:
        policy = rules_for(child.household.municipality_id, day, default=False)
    facts = _facts(child, slot, starts_at, ends_at, now)
    # Closure days, and national holidays the facility has not opened (facilities.calendar):
    # a slot made before the day was closed, or on a holiday, is not enough.
    if facts.closed_reason:
        problems.append(_problem("facility_closed", reason=facts.closed_reason))

    if policy is None:
        problems.append(_problem("no_policy"))
        return Preview(
            child,
            slot,
            starts_at,
            ends_at,
            None,
            places_left=facts.places_left,
            problems=tuple(problems),
        )

    if not facts.certified:
        problems.append(_problem("not_certified", child=name))
    if child.birth_date > day:
        problems.append(_problem("too_young", child=name))
    else:
        eligibility = rules.eligibility_on(child.birth_date, day, policy)
        if not eligibility.ok:
            problems.append(_problem(eligibility.reason_code, child=name))
    if not facts.interviewed:
        problems.append(_problem("no_interview", child=name))
    if child.birth_date <= day:
        child_class = rules.age_class(child.birth_date, rules.fiscal_year_of(day))
        if child_class != slot.age_class:
            problems.append(
                _problem(
                    "wrong_age_class",
                    child=name,
                    slot_class=slot.age_class,
                    child_class=child_class,
                )
            )

    minutes = None
    try:
        minutes = rules.validate_booking_length(starts_at, ends_at, policy)
    except rules.RuleError as error:
        code = error.code if error.code in MESSAGES else "booking_off_step_grid"
        problems.append(
            _problem(
                code,
                minimum=policy.billing_minimum_minutes,
                step=policy.billing_step_minutes,
            )
        )
    if not (slot.starts_at <= start and end <= slot.ends_at):
        problems.append(
            _problem(
                "outside_slot",
                start=slot.starts_at.strftime("%H:%M"),
                end=slot.ends_at.strftime("%H:%M"),
            )
        )

    today = timezone.localdate(now)
    if starts_at <= now:
        problems.append(_problem("in_past"))
    elif day > today + dt.timedelta(days=policy.booking_window_days):
        opens = day - dt.timedelta(days=policy.booking_window_days)
        problems.append(
            _problem(
                "window_not_open",
                days=policy.booking_window_days,
                opens=dates.date_text(opens),
            )
        )

    if facts.overlapping_id is not None:
        problems.append(_problem("overlap", child=name))

    # Places held for an open waitlist offer count as taken (tsuen.booking.waitlist).
    places_left = facts.places_left
    if places_left < 1:
        problems.append(_problem("full"))

    cap_lines: tuple[CapLine, ...] = ()
    split = None
    fee = None
    fee_class = None
    resident = child.household.municipality_id == facility.municipality_id
    if minutes is not None:
        counted = _counted_visits(facts, policy)
        visits = [rules.Visit(d, m) for d, _s, m in counted]
        visit = rules.Visit(day, minutes)
        usage = rules.cap_usage(policy, visits, day)
        cap_lines = tuple(
            CapLine(str(u.cap.period), u.period_start, u.period_end, u.used, minutes, u.limit)
            for u in usage
        )
        for line in cap_lines:
            if not line.ok:
                problems.append(
                    _problem(
                        "cap_exceeded",
                        child=name,
                        limit=hours(line.limit),
                        first=dates.date_text(line.period_start),
                        last=dates.date_text(line.period_end),
                        used=hours(line.used),
                        adds=hours(minutes),
                    )
                )
        if full_detail:
            earlier = [rules.Visit(d, m) for d, s, m in counted if (d, s) <= (day, starts_at)]
            split = rules.split_into_buckets(
                policy, earlier, visit, rules.national_last_day(child.birth_date)
            )
            fee_class = _fee_class_on(child.household_id, day)
            fee = rules.user_fee(minutes, facility.fee_per_hour, fee_class, policy, resident)

    deadline = None
    if full_detail:
        same_ward = facility.municipality_id == child.household.municipality_id
        deadline_policy = (
            policy if same_ward else _deadline_policy(facility.municipality_id, day, policy)
        )
        deadline = timezone.make_aware(rules.cancellation_deadline(day, deadline_policy), _tz())

    return Preview(
        child=child,
        slot=slot,
        starts_at=starts_at,
        ends_at=ends_at,
        minutes=minutes,
        caps=cap_lines,
        buckets=split.shares if split else (),
        unfunded_minutes=split.unfunded_minutes if split else 0,
        fee=fee,
        fee_class=fee_class,
        resident=resident,
        places_left=places_left,
        cancel_deadline=deadline,
        problems=tuple(problems),
    )


def _deadline_policy(facility_municipality_id: int, day: dt.date, fallback: rules.Policy):
    """The cancellation deadline is the facility's: its ward's policy, else the child's."""
    return rules_for(facility_municipality_id, day, default=False) or fallback


# --- Loading what the user may act on ------------------------------------------------------


def _children(user, child_ids: Iterable[int], page: BookingPage | None = None) -> list[Child]:
    """The children by pk, those the user may book for (404 otherwise); from ``page`` when it
    has them (its children were loaded through the same authorization)."""
    ids = sorted(set(child_ids))
    if page is not None:
        by_pk = {c.pk: c for c in page.children}
        if all(pk in by_pk for pk in ids):
            return [by_pk[pk] for pk in ids]
    found = list(
        filter_allowed(user, Action.BOOKING_CREATE, Child.objects.select_related("household"))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(found) != len(ids):
        from django.http import Http404

        raise Http404
    return found


#: The booking page's reads through the authorization layer, compiled once per kind of user
#: (``authz.policy.AllowedQuery``): the slot with its facility, the household's children. Of
#: the children only what booking reads (names, birth date, household and its ward): their
#: encrypted health and welfare fields (allergies, illnesses, medical care, development notes;
#: the household's support flag) are neither read nor decrypted to book a visit. With each
#: child, its ward's policy row in force on the slot's day (``municipalities.models.policy_for``
#: as a subquery: the form's time grid and the booking's rules, with no statement of its own).
BOOKING_CHILD_FIELDS = (
    "family_name",
    "given_name",
    "birth_date",
    "household__municipality_id",
)
_SLOT = AllowedQuery(
    Action.FACILITY_VIEW,
    PlaceSlot,
    lambda pk: PlaceSlot.objects.select_related("facility").filter(pk=pk),
    pk="int",
)
_BOOKABLE = AllowedQuery(
    Action.BOOKING_CREATE,
    Child,
    lambda day, fiscal_year: (
        Child.objects.select_related("household")
        .only(*BOOKING_CHILD_FIELDS)
        .annotate(
            ward_rules=Subquery(
                rule_record(
                    in_force(
                        MunicipalPolicy.unscoped,
                        OuterRef("household__municipality_id"),
                        fiscal_year,
                        day,
                    )[:1]
                )
            )
        )
        .order_by("birth_date", "pk")
    ),
    day="date",
    fiscal_year="small",
)


def _slot(user, place_slot_id: int) -> PlaceSlot:
    found = _SLOT.objects(user, pk=place_slot_id)
    if len(found) != 1:
        from django.http import Http404

        raise Http404
    return found[0]


def bookable_children(user, day: dt.date, *, audit: bool = True) -> list[Child]:
    """The children this user may book for (the household's), each with ``ward_rules``: its
    ward's policy on ``day`` (:func:`_ward_policy`). Audited as a list; with ``audit=False``
    the caller records them with :func:`children_shown` if it shows them."""
    children = _BOOKABLE.objects(user, day=day, fiscal_year=rules.fiscal_year_of(day))
    if audit:
        children_shown(children)
    return children


def children_shown(children: Sequence[Child]) -> None:
    """Record that the household's children were listed to the user (the booking form)."""
    from tsuen.audit import record_many

    record_many("list", children, fields=("family_name", "given_name", "birth_date"))


# --- Preview ---------------------------------------------------------------------------------


def preview(
    user,
    child_id: int,
    place_slot_id: int,
    start: dt.time,
    end: dt.time,
    *,
    page: BookingPage | None = None,
) -> Preview:
    """What booking ``child_id`` into the slot from ``start`` to ``end`` would use and cost,
    and every rule that would refuse it. Writes nothing (but the read is audited). ``page``:
    as for :func:`book`."""
    [child] = _children(user, [child_id], page)
    slot = page.slot if page and page.slot.pk == place_slot_id else _slot(user, place_slot_id)
    policy = (page.policies if page else {}).get(child.household.municipality_id, _READ_POLICY)
    result = _evaluate(child, slot, start, end, BookingKind.FLEXIBLE, clock.now(), policy=policy)
    record("read", child, fields=("family_name", "given_name", "birth_date"))
    return result


def sibling_slot(slot: PlaceSlot, child: Child) -> PlaceSlot:
    """The facility's slot on the same day and time for the child's age class (places are
    per age class), or ``slot`` itself when there is none (the age-class rule then refuses)."""
    if child.birth_date > slot.date:
        return slot
    child_class = rules.age_class(child.birth_date, rules.fiscal_year_of(slot.date))
    if child_class == slot.age_class:
        return slot
    other = (
        PlaceSlot.unscoped.select_related("facility")
        .filter(
            facility_id=slot.facility_id,
            date=slot.date,
            age_class=child_class,
            starts_at__lte=slot.starts_at,
            ends_at__gte=slot.ends_at,
        )
        .order_by("starts_at")
        .first()
    )
    if other is None:
        other = (
            PlaceSlot.unscoped.select_related("facility")
            .filter(
                facility_id=slot.facility_id,
                date=slot.date,
                age_class=child_class,
                starts_at__lt=slot.ends_at,
                ends_at__gt=slot.starts_at,
            )
            .order_by("starts_at")
            .first()
        )
    return other or slot


# --- Booking -----------------------------------------------------------------------------


#: Lock one row, compiled once per process (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
#: has no row locks: its writers take turns on the whole database).
_LOCK_SLOT = CompiledQuery(
    # No ordering: the model's default one (by ward and facility) would join both to the lock.
    lambda pk: PlaceSlot.unscoped.select_for_update().filter(pk=pk).order_by().values("pk"),
    pk="int",
)
_LOCK_CHILD = CompiledQuery(
    lambda pk: Child.unscoped.select_for_update().filter(pk=pk).values("pk"), pk="int"
)


#: One slot and one child locked in one statement (PostgreSQL): ``FOR UPDATE`` without ``OF``
#: locks the row of every table in ``FROM``, each joined row's in the order the tables are
#: listed (the planner's row marks follow the range table), so the slot before the child, the
#: one fixed order of :func:`_lock`.
_LOCK_SLOT_AND_CHILD = (
    'SELECT 1 FROM "facilities_placeslot" AS s, "families_child" AS c '
    'WHERE s."id" = %s AND c."id" = %s FOR UPDATE'
)


def _lock(slot_ids: Iterable[int], child_ids: Iterable[int]) -> None:
    """Lock in the one fixed order: every slot by pk, then every child by pk. One slot and one
    child (a booking) in one statement on PostgreSQL; otherwise one statement a row (a few more
    for brothers and sisters)."""
    if not LOCKING:
        return
    slot_ids, child_ids = set(slot_ids), set(child_ids)
    connection = connections["default"]
    if len(slot_ids) == len(child_ids) == 1 and connection.vendor == "postgresql":
        with compiled_cursor(connection) as db_cursor:
            db_cursor.execute(_LOCK_SLOT_AND_CHILD, [*slot_ids, *child_ids])
            db_cursor.fetchall()
        return
    for pk in sorted(slot_ids):
        _LOCK_SLOT.rows(pk=pk)
    for pk in sorted(child_ids):
        _LOCK_CHILD.rows(pk=pk)


def _write(
    user,
    pairs: Sequence[tuple[Child, PlaceSlot]],
    start,
    end,
    kind,
    policies: dict[int, rules.Policy | None] | None = None,
) -> list[Booking]:
    """Inside the open transaction, after the locks: evaluate the rules (the recount), refuse
    or write. ``policies``: the policies the caller has already read, by municipality."""
    now = clock.now()
    policies = policies or {}
    previews = [
        _evaluate(
            child,
            slot,
            start,
            end,
            kind,
            now,
            full_detail=False,
            policy=policies.get(child.household.municipality_id, _READ_POLICY),
        )
        for child, slot in pairs
    ]
    problems = [p for pv in previews for p in pv.problems]
    # Siblings in one slot (twins) need a place each.
    wanted: dict[int, int] = {}
    for _child, slot in pairs:
        wanted[slot.pk] = wanted.get(slot.pk, 0) + 1
    for pv in previews:
        short = wanted[pv.slot.pk] > 1 and wanted[pv.slot.pk] > pv.places_left
        if short and not any(p.code == "full" for p in problems):
            problems.append(_problem("full"))
    if problems:
        existing = None
        if any(p.code == "overlap" for p in problems):
            existing = (
                Booking.unscoped.filter(
                    child_id__in=[c.pk for c, _s in pairs],
                    status=BookingStatus.CONFIRMED,
                    starts_at__lt=previews[0].ends_at,
                    ends_at__gt=previews[0].starts_at,
                )
                .order_by("pk")
                .first()
            )
        counted = {pv.slot.pk: pv.places_left for pv in previews}
        raise BookingRefused(problems, existing=existing, places_left=counted)
    if before_write is not None:
        before_write()
    bookings = []
    for (child, slot), pv in zip(pairs, previews, strict=True):
        try:
            # No savepoint: a refusal rolls the whole booking transaction back anyway.
            with transaction.atomic(savepoint=False):
                booking = compiled.insert(
                    Booking(
                        child=child,
                        facility=slot.facility,
                        place_slot=slot,
                        date=slot.date,
                        starts_at=pv.starts_at,
                        ends_at=pv.ends_at,
                        kind=kind,
                        status=BookingStatus.CONFIRMED,
                        billable_minutes=pv.minutes,
                        counts_toward_caps=True,
                        booked_by=user,
                    )
                )
        except IntegrityError:
            # The exclusion constraint (PostgreSQL): an overlapping booking slipped in.
            raise _refuse("overlap", child=child.full_name) from None
        bookings.append(booking)
        # A booking belongs to its facility's ward (its first TENANT_PATH): named here, the
        # audit trail need not look it up.
        record(
            "create",
            booking,
            fields=BOOKING_FIELDS,
            municipality_id=slot.facility.municipality_id,
        )
        # The outbox row, only when the facility has an endpoint (its flag: no query).
        outbox.booking_event(EventType.BOOKING_CREATED, booking, slot.facility)
        notify(
            Notice.BOOKING_CONFIRMED,
            user,
            child_name=child.full_name,
            facility_name=slot.facility.name,
            date=slot.date,
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
            path=reverse("booking:list"),
        )
        notify_facility(
            Notice.FACILITY_BOOKING_MADE,
            slot.facility,
            day=slot.date,
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
            path=_staff_day_path(slot.date),
        )
    return bookings


def _staff_day_path(day: dt.date) -> str:
    return f"{reverse('attendance:staff_day')}?date={day.isoformat()}"


def book(
    user,
    child_id: int,
    place_slot_id: int,
    start: dt.time,
    end: dt.time,
    *,
    kind: str = BookingKind.FLEXIBLE,
    page: BookingPage | None = None,
    names_on_refusal: bool = False,
) -> Booking:
    """Book one child into one place slot, or raise :class:`BookingRefused` (nothing written).

    404 when the child is not the user's to book for or the slot does not exist. ``page``: the
    booking page the form was checked against (its slot, children and policy are not read
    again). ``names_on_refusal``: the caller answers a refusal with the child's name (the
    family's confirm step): that read is recorded with the refusal (:func:`_under_locks`)."""
    [child] = _children(user, [child_id], page)
    slot = page.slot if page and page.slot.pk == place_slot_id else _slot(user, place_slot_id)
    [booking] = _under_locks(
        [slot.pk],
        [child.pk],
        lambda: _write(user, [(child, slot)], start, end, kind, page and page.policies),
        named=[child] if names_on_refusal else (),
    )
    return booking


def book_siblings(
    user,
    child_ids: Sequence[int],
    place_slot_ids: dict[int, int] | int,
    start: dt.time,
    end: dt.time,
    *,
    kind: str = BookingKind.FLEXIBLE,
    page: BookingPage | None = None,
    names_on_refusal: bool = False,
) -> list[Booking]:
    """Book two or more children of one household into one facility at one time: all of them
    or none. ``place_slot_ids`` maps each child to its slot (places are per age class), or is
    one slot id from which each child's age-class slot is found (:func:`sibling_slot`).
    ``page``, ``names_on_refusal``: as for :func:`book`."""
    if len(set(child_ids)) < 2:
        raise _refuse("siblings_need_two")
    children = _children(user, child_ids, page)
    if len({c.household_id for c in children}) != 1:
        raise _refuse("siblings_not_one_household")
    if isinstance(place_slot_ids, int):
        same = page and page.slot.pk == place_slot_ids
        base = page.slot if same else _slot(user, place_slot_ids)
        pairs = [(c, sibling_slot(base, c)) for c in children]
    else:
        pairs = [(c, _slot(user, place_slot_ids[c.pk])) for c in children]
    if len({(s.facility_id, s.date) for _c, s in pairs}) != 1:
        raise _refuse("siblings_not_one_facility")
    return _under_locks(
        [s.pk for _c, s in pairs],
        [c.pk for c in children],
        lambda: _write(user, pairs, start, end, kind, page and page.policies),
        named=children if names_on_refusal else (),
    )


def _under_locks(
    slot_ids, child_ids, write: Callable[[], list[Booking]], named: Sequence[Child] = ()
) -> list[Booking]:
    """Lock the slots and children, then ``write`` (the bookings) or refuse, in one transaction.

    A refusal has written nothing (the rules are checked before the first insert), so its
    transaction ends with COMMIT, not ROLLBACK: the same for the data (it only read and locked
    rows), but psycopg forgets every prepared statement of the connection at a ROLLBACK
    (core.compiled), and at the 09:00 rush nearly half the confirms are refused. The children
    the refusal's answer names (``named``) are recorded (:func:`children_shown`) in that
    transaction: no statement and no commit of their own. A refusal after a failed insert (an
    overlap the database's constraint caught) still rolls back: Django has marked the
    transaction for it, and the children are recorded after it."""
    with transaction.atomic():
        _lock(slot_ids, child_ids)
        try:
            return write()
        except BookingRefused as refused:
            refusal = refused
            if not transaction.get_rollback():
                _names_shown(refusal, named)
    _names_shown(refusal, named)  # after a rollback (else already recorded: nothing)
    raise refusal


def _names_shown(refusal: BookingRefused, named: Sequence[Child]) -> None:
    """Record the children the refusal's answer names, once."""
    if named and not refusal.names_recorded:
        children_shown(named)
        refusal.names_recorded = True


# --- Cancelling ------------------------------------------------------------------------------


def _deadline(booking: Booking, policies: dict[tuple[int, dt.date], rules.Policy]):
    """The facility's cancellation deadline (aware): its ward's policy, else the child's ward's,
    else the national default."""
    day = booking.date
    policy = (
        policies.get((booking.facility.municipality_id, day))
        or policies.get((booking.child.household.municipality_id, day))
        or rules.national_default_policy(rules.fiscal_year_of(day))
    )
    return timezone.make_aware(rules.cancellation_deadline(day, policy), _tz())


def _policy_keys(booking: Booking) -> set[tuple[int, dt.date]]:
    return {
        (booking.facility.municipality_id, booking.date),
        (booking.child.household.municipality_id, booking.date),
    }


def cancellation_deadlines(bookings: list[Booking]) -> dict[int, dt.datetime]:
    """Each booking's cancellation deadline by pk, with one policy query for all of them (the
    reminder job). Bookings need ``facility`` and ``child__household`` loaded."""
    policies = _policies({key for b in bookings for key in _policy_keys(b)})
    return {b.pk: _deadline(b, policies) for b in bookings}


def cancellation_terms(
    booking: Booking, now: dt.datetime | None = None
) -> tuple[dt.datetime, bool]:
    """The booking's deadline (aware, Japan time) and whether cancelling ``now`` is late."""
    now = now or clock.now()
    deadline = _deadline(booking, _policies(_policy_keys(booking)))
    return deadline, now > deadline


def cancel(user, booking_id: int) -> Booking:
    """The family cancels. Before the facility's deadline the hours and the place are freed
    (CANCELLED); after it the booking is LATE_CANCELLED and its hours count if the child's
    municipality says so. Then ``place_freed`` is sent so the waitlist can offer the place."""
    booking = get_or_404(
        user,
        Action.BOOKING_CANCEL,
        Booking.objects.select_related("facility", "child__household", "place_slot", "booked_by"),
        pk=booking_id,
    )
    now = clock.now()
    with transaction.atomic():
        _lock([booking.place_slot_id], [booking.child_id])
        booking.refresh_from_db(fields=["status"])
        if booking.status != BookingStatus.CONFIRMED:
            raise _refuse("not_cancellable")
        if booking.starts_at <= now:
            raise _refuse("already_started")
        _deadline, late = cancellation_terms(booking, now)
        child_policy = rules_for(
            booking.child.household.municipality_id, booking.date, default=False
        )
        counts = late and (child_policy.late_cancellation_counts if child_policy else True)
        booking.status = BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED
        booking.counts_toward_caps = counts
        booking.cancelled_at = now
        booking.save(update_fields=["status", "counts_toward_caps", "cancelled_at"])
        record("update", booking, fields=("status", "counts_toward_caps", "cancelled_at"))
        outbox.booking_event(EventType.BOOKING_CANCELLED, booking, booking.facility)
        _tell_family_cancelled(booking, late=late, counts=counts)
        slot = booking.place_slot
        transaction.on_commit(lambda: place_freed.send(sender=Booking, place_slot=slot, now=now))
        local = timezone.localtime
        notify_facility(
            Notice.FACILITY_BOOKING_CANCELLED,
            booking.facility,
            day=booking.date,
            start=local(booking.starts_at).strftime("%H:%M"),
            end=local(booking.ends_at).strftime("%H:%M"),
            path=_staff_day_path(booking.date),
        )
    return booking


def _tell_family_cancelled(booking: Booking, *, late: bool, counts: bool) -> None:
    """Confirm a family's cancellation by email to the household's accounts (on commit)."""
    for recipient in family_accounts(
        booking.child.household_id, booked_by=booking.booked_by, fallback=booking.booked_by
    ):
        notify(
            Notice.BOOKING_CANCELLED,
            recipient,
            child_name=booking.child.full_name,
            facility_name=booking.facility.name,
            date=booking.date.isoformat(),
            start=timezone.localtime(booking.starts_at, _tz()).strftime("%H:%M"),
            end=timezone.localtime(booking.ends_at, _tz()).strftime("%H:%M"),
            late=late,
            counts=counts,
            path=reverse("booking:list"),
        )


def cancel_by_facility(staff_user, booking_ids: Iterable[int], reason: str) -> list[Booking]:
    """The facility cancels (closure, an outbreak): the hours return (CANCELLED_BY_FACILITY,
    never counted) and each family is told, with the reason. Bookings no longer confirmed are
    left as they are; a booking outside the user's facility answers 404 and nothing changes."""
    from django.http import Http404

    ids = sorted(set(booking_ids))
    bookings = list(
        filter_allowed(
            staff_user,
            Action.BOOKING_CANCEL_BY_FACILITY,
            Booking.objects.select_related("facility", "child", "place_slot"),
        )
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(bookings) != len(ids):
        raise Http404
    now = clock.now()
    done = []
    with transaction.atomic():
        _lock([b.place_slot_id for b in bookings], [b.child_id for b in bookings])
        for booking in bookings:
            booking.refresh_from_db(fields=["status"])
            if booking.status != BookingStatus.CONFIRMED:
                continue
            booking.status = BookingStatus.CANCELLED_BY_FACILITY
            booking.counts_toward_caps = False
            booking.cancelled_at = now
            booking.save(update_fields=["status", "counts_toward_caps", "cancelled_at"])
            record("update", booking, fields=("status", "counts_toward_caps", "cancelled_at"))
            outbox.booking_event(EventType.BOOKING_CANCELLED, booking, booking.facility)
            for recipient in family_accounts(
                booking.child.household_id, booked_by=booking.booked_by, fallback=booking.booked_by
            ):
                notify(
                    Notice.BOOKING_CANCELLED_BY_FACILITY,
                    recipient,
                    child_name=booking.child.full_name,
                    facility_name=booking.facility.name,
                    date=booking.date,
                    start=timezone.localtime(booking.starts_at, _tz()).strftime("%H:%M"),
                    end=timezone.localtime(booking.ends_at, _tz()).strftime("%H:%M"),
                    reason=reason,
                    path=reverse("booking:list"),
                )
            done.append(booking)
    return done


# --- The family's list --------------------------------------------------------------------


@dataclass(frozen=True)
class ListedBooking:
    booking: Booking
    deadline: dt.datetime | None
    cancellable: bool
    late: bool


@dataclass(frozen=True)
class PastBooking:
    booking: Booking
    #: What became of it, in the family's words: attended (利用済み), no-show (欠席), attendance
    #: not recorded yet, or the cancellation -- never "confirmed" for a visit that is over.
    outcome: str


@dataclass(frozen=True)
class BookingList:
    upcoming: list[ListedBooking]
    past: list[PastBooking]


def past_outcome(booking: Booking) -> str:
    """The outcome of a booking whose time is over (its attendance must be selected)."""
    from tsuen.attendance.models import AttendanceStatus

    if booking.status != BookingStatus.CONFIRMED:
        return booking.get_status_display()
    attendance = getattr(booking, "attendance", None)
    if attendance is None:
        return str(_("Attendance not recorded yet"))
    if attendance.status == AttendanceStatus.NO_SHOW:
        return str(_("No-show"))
    return str(_("Attended"))


#: How many past bookings the list shows (the hours page shows the rest).
PAST_SHOWN = 20


def bookings_for(user) -> BookingList:
    """The family's upcoming bookings (with whether cancelling now is free or late) and the
    most recent past ones; a constant number of queries, whatever the history."""
    from django.http import Http404

    from tsuen.audit import record_many

    if not allows_any(user, Action.BOOKING_CANCEL, Booking):
        raise Http404
    now = clock.now()
    base = filter_allowed(
        user,
        Action.BOOKING_VIEW,
        Booking.objects.select_related("child__household", "facility", "place_slot"),
    )
    upcoming = list(base.filter(ends_at__gte=now).order_by("starts_at", "pk"))
    past = list(
        base.select_related("attendance")
        .filter(ends_at__lt=now)
        .order_by("-starts_at", "-pk")[:PAST_SHOWN]
    )
    live = [b for b in upcoming if b.status == BookingStatus.CONFIRMED]
    policies = _policies({key for b in live for key in _policy_keys(b)})
    listed = []
    for b in upcoming:
        if b.status != BookingStatus.CONFIRMED:
            listed.append(ListedBooking(b, None, False, False))
            continue
        deadline = _deadline(b, policies)
        listed.append(ListedBooking(b, deadline, b.starts_at > now, now > deadline))
    record_many("list", upcoming, fields=BOOKING_FIELDS)
    record_many("list", past, fields=(*BOOKING_FIELDS, "attendance"))
    return BookingList(listed, [PastBooking(b, past_outcome(b)) for b in past])


def _policies(keys: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], rules.Policy]:
    """The policy in force for each (municipality, day), with one query."""
    if not keys:
        return {}
    rows = list(
        MunicipalPolicy.unscoped.filter(
            municipality_id__in={m for m, _d in keys},
            fiscal_year__in={rules.fiscal_year_of(d) for _m, d in keys},
        ).order_by("effective_from")
    )
    found = {}
    for municipality_id, day in keys:
        candidates = [
            r
            for r in rows
            if r.municipality_id == municipality_id
            and r.fiscal_year == rules.fiscal_year_of(day)
            and r.effective_from <= day
        ]
        if candidates:
            try:
                found[municipality_id, day] = candidates[-1].to_rules()
            except rules.RuleError:
                continue
    return found


def booking_for_cancel(user, booking_id: int) -> ListedBooking:
    """One booking the user may cancel, with its deadline, for the confirmation page."""
    booking = get_or_404(
        user,
        Action.BOOKING_CANCEL,
        Booking.objects.select_related("child__household", "facility", "place_slot"),
        pk=booking_id,
    )
    record("read", booking, fields=BOOKING_FIELDS)
    now = clock.now()
    deadline, late = cancellation_terms(booking, now)
    cancellable = booking.status == BookingStatus.CONFIRMED and booking.starts_at > now
    return ListedBooking(booking, deadline, cancellable, late)


# --- The booking page ------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingPage:
    slot: PlaceSlot
    children: list[Child]
    minimum: int
    step: int
    #: The policy on the slot's day of the children's municipality (``None``: it has set none),
    #: read once for the form's grid and the booking's rules.
    policies: dict[int, rules.Policy | None] = field(default_factory=dict)

    @cached_property
    def places_left(self) -> int:
        """Read only when a page shows it (not by a confirmed booking, which recounts)."""
        from tsuen.booking.waitlist import places_left

        return places_left(self.slot, clock.now())

    def refused(self, refusal: BookingRefused) -> BookingPage:
        """The page again after a refused booking, with the slot's free places as the refusal
        counted them under the lock (read again only if it did not count them)."""
        if self.slot.pk in refusal.places_left:
            self.__dict__["places_left"] = refusal.places_left[self.slot.pk]  # the cached value
        return self


def _ward_policy(child: Child) -> rules.Policy | None:
    """``rules_for(<the child's ward>, day, default=False)`` of a child read by
    :func:`bookable_children`: its ward's rules on the day, or None when the ward has set none
    (or its row does not validate)."""
    try:
        return rules_of_record(child.ward_rules) if child.ward_rules else None
    except rules.RuleError:
        return None


def booking_page(user, place_slot_id: int, *, audit: bool = True) -> BookingPage:
    """What the booking form needs: the slot, the household's children (audited, unless
    ``audit=False``: the confirm step records them with :func:`children_shown` only when it
    shows the form again), the visit grid of the household's municipality. 404 for anyone
    who cannot book."""
    from django.http import Http404

    if not _BOOKABLE.applies(user):
        raise Http404
    slot = _slot(user, place_slot_id)
    children = bookable_children(user, slot.date, audit=audit)
    policies = {child.household.municipality_id: _ward_policy(child) for child in children}
    policy = next(iter(policies.values()), None) or rules.national_default_policy(
        rules.fiscal_year_of(slot.date)
    )
    return BookingPage(
        slot, children, policy.billing_minimum_minutes, policy.billing_step_minutes, policies
    )


def preview_many(
    user,
    child_ids: Sequence[int],
    place_slot_id: int,
    start: dt.time,
    end: dt.time,
    *,
    page: BookingPage | None = None,
) -> list[Preview]:
    """One preview per child; with several children each goes to its age class's slot.
    ``page``: as for :func:`book`."""
    if len(child_ids) == 1:
        return [preview(user, child_ids[0], place_slot_id, start, end, page=page)]
    children = _children(user, child_ids, page)
    same = page and page.slot.pk == place_slot_id
    base = page.slot if same else _slot(user, place_slot_id)
    policies = page.policies if page else {}
    now = clock.now()
    previews = []
    for child in children:
        policy = policies.get(child.household.municipality_id, _READ_POLICY)
        slot = sibling_slot(base, child)
        previews.append(
            _evaluate(child, slot, start, end, BookingKind.FLEXIBLE, now, policy=policy)
        )
        record("read", child, fields=("family_name", "given_name", "birth_date"))
    if len({c.household_id for c in children}) != 1:
        extra = _problem("siblings_not_one_household")
        previews[0] = dataclasses.replace(previews[0], problems=(*previews[0].problems, extra))
    return previews
