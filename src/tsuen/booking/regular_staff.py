"""The facility's side of regular use (定期利用): the list of requests and their allocation.

Allocating a request turns it into bookings (kind REGULAR) for every matching weekday of its
period, each judged by the booking service's own evaluation (``booking.services._evaluate``:
certification, eligibility, interview, age class, length, slot, overlap, places, caps), so no
rule is duplicated here. A date where a rule refuses (a cap or a place short, no slot for the
child's age class, a closure...) is trimmed, with its reason shown to staff; the others are
booked. The request is then ALLOCATED (some dates booked) or REFUSED (none). One transaction:
every slot and the child are locked in the booking service's order, so a family booking at the
same moment cannot take a place twice.

Requests competing for the same places are allocated together (:func:`joint_page`,
:func:`allocate_joint`): first come, first served (:func:`first_come`), in one transaction
with one confirmation token; a single request is the same path with a list of one.

The booking window (how far ahead a family may book) is the family's limit for flexible use;
an allocation is the facility planning its regular places, so that one rule is not applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.audit import record
from tsuen.authz.policy import Action, get_or_404
from tsuen.booking import services as booking_services
from tsuen.booking.models import (
    Booking,
    BookingKind,
    BookingStatus,
    RegularUseRequest,
    RegularUseStatus,
)
from tsuen.booking.regular import REQUEST_FIELDS, requests_for_facility
from tsuen.core import clock, confirm
from tsuen.facilities import calendar
from tsuen.facilities.models import PlaceSlot
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify
from tsuen.webhooks import outbox
from tsuen.webhooks.models import EventType

#: Booking rules that do not apply to a facility's allocation (see the module docstring).
NOT_FOR_ALLOCATION = frozenset({"window_not_open"})

__all__ = [
    "Allocation",
    "DateOutcome",
    "JointAllocation",
    "allocate",
    "allocate_joint",
    "decline",
    "first_come",
    "joint_page",
    "request_dates",
    "request_page",
    "requests_for_facility",
]


@dataclass(frozen=True)
class DateOutcome:
    day: dt.date
    booked: bool
    reasons: tuple[str, ...] = ()
    booking: Booking | None = None

    @property
    def ok(self) -> bool:
        return self.booked

    def stored(self) -> dict:
        return {"day": self.day.isoformat(), "booked": self.booked, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Allocation:
    """The dates of a request, each booked or left out with its reasons: a proposal (nothing
    written yet), the allocation just made, or the stored answer reopened."""

    request: RegularUseRequest
    outcomes: tuple[DateOutcome, ...]

    @property
    def created(self) -> list[DateOutcome]:
        return [o for o in self.outcomes if o.booked]

    @property
    def refused(self) -> list[DateOutcome]:
        return [o for o in self.outcomes if not o.booked]

    @property
    def token(self) -> str:
        """What the confirmation of this proposal posts back (the dates booked)."""
        booked = tuple((o.day, o.booked) for o in self.outcomes)
        return confirm.token("allocate", self.request.pk, self.request.status, booked)

    @classmethod
    def of_stored(cls, made: RegularUseRequest) -> Allocation:
        outcomes = tuple(
            DateOutcome(dt.date.fromisoformat(o["day"]), o["booked"], tuple(o["reasons"]))
            for o in made.outcome or []
        )
        return cls(made, outcomes)


def _staff_message(problem) -> str:
    """The booking service's reason, worded for staff where the family's wording would
    mislead (a full slot: the family may join the waitlist; staff see that it is full)."""
    if problem.code == "full":
        return _("No place left in the slot on this day.")
    return problem.message


def request_dates(made: RegularUseRequest) -> list[dt.date]:
    """Every date of the request's weekday in its period."""
    day = made.period_from + dt.timedelta(days=(made.weekday - made.period_from.weekday()) % 7)
    days = []
    while day <= made.period_to:
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def _slots(made: RegularUseRequest, days: list[dt.date]) -> dict[dt.date, PlaceSlot]:
    """The facility's slot on each day for the child's age class that holds the request's
    times (one query)."""
    birth = made.child.birth_date
    candidates = (
        PlaceSlot.unscoped.select_related("facility")
        .filter(
            facility_id=made.facility_id,
            date__in=days,
            starts_at__lte=made.starts_at,
            ends_at__gte=made.ends_at,
        )
        .order_by("date", "starts_at")
    )
    found: dict[dt.date, PlaceSlot] = {}
    for slot in candidates:
        if birth > slot.date or slot.date in found:
            continue
        if rules.age_class(birth, rules.fiscal_year_of(slot.date)) == slot.age_class:
            found[slot.date] = slot
    return found


DECLINE_REASON_MAX = 500


def _request(staff, request_id: int) -> RegularUseRequest:
    return get_or_404(
        staff,
        Action.REGULAR_REQUEST_ALLOCATE,
        RegularUseRequest.objects.select_related("child__household", "facility"),
        pk=request_id,
    )


def _book_all(staff, made_list: list[RegularUseRequest], now: dt.datetime) -> list[Allocation]:
    """Inside the caller's transaction: lock every slot and child of the requests at once (the
    booking service's one order, so two allocations or a family booking cannot deadlock), then
    book the requests one after the other in the order given (:func:`first_come`), each date
    as the booking rules allow, and answer the outcome of each date per request. A request
    books against the places and caps left by the ones before it. Every request must be open.
    One request is the same path with a list of one."""
    plans = []
    for made in made_list:
        days = request_dates(made)
        plans.append((made, days, _slots(made, days)))
    booking_services._lock(
        [s.pk for _m, _d, slots in plans for s in slots.values()],
        [made.child_id for made in made_list],
    )
    locked_all = {
        r.pk: r
        for r in RegularUseRequest.unscoped.select_for_update()
        .filter(pk__in=[made.pk for made in made_list])
        .order_by("pk")
    }
    if any(r.status != RegularUseStatus.REQUESTED for r in locked_all.values()):
        raise ValidationError(_("This request has already been answered."), code="already_answered")
    return [
        _book_dates(staff, made, days, slots, locked_all[made.pk], now)
        for made, days, slots in plans
    ]


def _book_dates(staff, made, days, slots, locked, now: dt.datetime) -> Allocation:
    """One request's dates, after the locks of :func:`_book_all`."""
    child = made.child
    closed = calendar.closed_days(made.facility_id, days[0], days[-1]) if days else {}
    outcomes = []
    for day in days:
        slot = slots.get(day)
        if slot is None and day in closed:
            reason = str(booking_services.MESSAGES["facility_closed"]) % {"reason": closed[day]}
            outcomes.append(DateOutcome(day, False, (reason,)))
            continue
        if slot is None:
            reason = _("The facility has no places for this age class at that time.")
            outcomes.append(DateOutcome(day, False, (reason,)))
            continue
        preview = booking_services._evaluate(
            child, slot, made.starts_at, made.ends_at, BookingKind.REGULAR, now,
            full_detail=False,
        )  # fmt: skip
        problems = [p for p in preview.problems if p.code not in NOT_FOR_ALLOCATION]
        if problems:
            outcomes.append(DateOutcome(day, False, tuple(_staff_message(p) for p in problems)))
            continue
        try:
            with transaction.atomic():
                booking = Booking.unscoped.create(
                    child=child,
                    facility=slot.facility,
                    place_slot=slot,
                    date=day,
                    starts_at=preview.starts_at,
                    ends_at=preview.ends_at,
                    kind=BookingKind.REGULAR,
                    status=BookingStatus.CONFIRMED,
                    billable_minutes=preview.minutes,
                    counts_toward_caps=True,
                    booked_by=staff,
                )
        except IntegrityError:
            # PostgreSQL's exclusion constraint: an overlapping booking slipped in.
            reason = str(booking_services.MESSAGES["overlap"]) % {"child": child.full_name}
            outcomes.append(DateOutcome(day, False, (reason,)))
            continue
        record("create", booking, fields=booking_services.BOOKING_FIELDS)
        outbox.booking_event(EventType.BOOKING_CREATED, booking, slot.facility)
        outcomes.append(DateOutcome(day, True, (), booking))
    return Allocation(locked, tuple(outcomes))


@dataclass(frozen=True)
class RequestPage:
    """The staff page of one request: while it is open, the proposal (what allocating would
    book now, and what not and why); once answered, the answer (reopenable)."""

    request: RegularUseRequest
    proposal: Allocation | None
    answer: Allocation | None


def request_page(staff, request_id: int) -> RequestPage:
    """The page of a request of the staff member's facility. The proposal is the allocation
    itself run and rolled back, so it sees the caps fill date by date as the real one will.
    404 outside the facility."""
    made = _request(staff, request_id)
    record("read", made, fields=REQUEST_FIELDS)
    if made.status != RegularUseStatus.REQUESTED:
        return RequestPage(made, None, Allocation.of_stored(made))
    [proposal] = _propose(staff, [made])
    return RequestPage(made, proposal, None)


def _propose(staff, made_list: list[RegularUseRequest]) -> list[Allocation]:
    """The allocation of open requests run and rolled back: a proposal books nothing (and
    audits nothing)."""
    if not made_list:
        return []
    with transaction.atomic():
        allocations = _book_all(staff, made_list, clock.now())
        transaction.set_rollback(True)
    return [Allocation(made, a.outcomes) for made, a in zip(made_list, allocations, strict=True)]


def _answer(made: RegularUseRequest, allocation: Allocation, now: dt.datetime) -> None:
    """Inside the allocation's transaction: store the answer on the request, audit it and tell
    the family."""
    locked = allocation.request
    locked.status = RegularUseStatus.ALLOCATED if allocation.created else RegularUseStatus.REFUSED
    locked.decided_at = now
    locked.outcome = [o.stored() for o in allocation.outcomes]
    locked.save(update_fields=["status", "decided_at", "outcome"])
    record("update", locked, fields=("status", "decided_at", "outcome"))
    notify(
        Notice.REGULAR_USE_ANSWERED,
        locked.requested_by,
        facility_name=made.facility.name,
        booked=len(allocation.created),
        refused=len(allocation.refused),
        declined=False,
        path=reverse("booking:regular_list"),
    )


def allocate(staff, request_id: int, *, confirm_token: str | None = None) -> Allocation:
    """Allocate an open request of the staff member's facility: book every date that the
    booking rules allow, trim the others with their reasons. Refused unless ``confirm_token``
    is the token of the proposal shown (:func:`request_page`) and the same dates are still
    bookable. 404 outside the facility. The joint allocation (:func:`allocate_joint`) of this
    one request does the same."""
    made = _request(staff, request_id)
    now = clock.now()
    with transaction.atomic():
        [allocation] = _book_all(staff, [made], now)
        # A refusal here rolls back every booking just made.
        confirm.require(confirm_token, Allocation(made, allocation.outcomes).token)
        _answer(made, allocation, now)
    return allocation


# --- joint allocation: several requests competing for the same places -------------------------


def first_come(made_list) -> list[RegularUseRequest]:
    """The order of a joint allocation: first come, first served. The request made first
    (``created_at``; the older id on a tie) books all its dates before the next one books any,
    so when places run out the later request is the one trimmed, whatever the staff selected
    or in which order."""
    return sorted(made_list, key=lambda r: (r.created_at, r.pk))


@dataclass(frozen=True)
class JointAllocation:
    """The allocations of several requests in the order they book (:func:`first_come`): a
    proposal, or what was just made."""

    allocations: tuple[Allocation, ...]

    @property
    def token(self) -> str:
        """One token for the whole proposal: the requests and the dates each would book."""
        return confirm.token("allocate_joint", tuple(a.token for a in self.allocations))

    @property
    def booked(self) -> int:
        return sum(len(a.created) for a in self.allocations)

    @property
    def left_out(self) -> int:
        return sum(len(a.refused) for a in self.allocations)


@dataclass(frozen=True)
class JointPage:
    """The joint proposal page: the open requests of the facility whose period meets the
    chosen one (``candidates``), those selected with their joint proposal, and the answers of
    selected requests already answered (the page reopens after confirming)."""

    period_from: dt.date | None
    period_to: dt.date | None
    candidates: list[RegularUseRequest]
    selected: list[int]
    proposal: JointAllocation | None
    answers: list[Allocation]


def _open_in_period(staff, period_from, period_to) -> list[RegularUseRequest]:
    made = requests_for_facility(staff, RegularUseStatus.REQUESTED)
    return [
        r
        for r in made
        if (period_to is None or r.period_from <= period_to)
        and (period_from is None or r.period_to >= period_from)
    ]


def _selected(staff, request_ids) -> list[RegularUseRequest]:
    """The selected requests (each of the staff member's facility, else 404), first come."""
    chosen = [_request(staff, pk) for pk in dict.fromkeys(request_ids)]
    return first_come(chosen)


def joint_page(
    staff,
    *,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    request_ids: list[int] | None = None,
) -> JointPage:
    """The joint proposal of the facility's open requests whose period meets
    ``period_from``–``period_to`` (each bound optional), or of the requests ``request_ids``
    when given (the staff's selection; 404 for a request of another facility). The proposal
    is the joint allocation itself run and rolled back."""
    if period_from and period_to and period_to < period_from:
        raise ValidationError(_("The last day is before the first day."), code="period_order")
    candidates = _open_in_period(staff, period_from, period_to)
    chosen = candidates if request_ids is None else _selected(staff, request_ids)
    for made in chosen:
        record("read", made, fields=REQUEST_FIELDS)
    still_open = [r for r in chosen if r.status == RegularUseStatus.REQUESTED]
    answers = [Allocation.of_stored(r) for r in chosen if r.status != RegularUseStatus.REQUESTED]
    proposal = JointAllocation(tuple(_propose(staff, still_open))) if still_open else None
    return JointPage(period_from, period_to, candidates, [r.pk for r in chosen], proposal, answers)


def allocate_joint(
    staff, request_ids: list[int], *, confirm_token: str | None = None
) -> JointAllocation:
    """Allocate the open requests ``request_ids`` of the staff member's facility together, in
    one transaction, first come first served (:func:`first_come`). Refused, with nothing
    written, unless ``confirm_token`` is the token of the joint proposal shown
    (:func:`joint_page`) and every request would book the same dates now (a booking made
    meanwhile, a request answered or withdrawn meanwhile, another selection: refused)."""
    chosen = _selected(staff, request_ids)
    if not chosen:
        raise ValidationError(_("Choose at least one request."), code="none_chosen")
    now = clock.now()
    with transaction.atomic():
        allocations = _book_all(staff, chosen, now)
        proposal = JointAllocation(
            tuple(Allocation(m, a.outcomes) for m, a in zip(chosen, allocations, strict=True))
        )
        # A refusal here rolls back every booking just made, of every request.
        confirm.require(confirm_token, proposal.token)
        for made, allocation in zip(chosen, allocations, strict=True):
            _answer(made, allocation, now)
    return JointAllocation(tuple(allocations))


def decline(staff, request_id: int, reason: str) -> RegularUseRequest:
    """Decline an open request with a reason the family reads (nothing is booked)."""
    made = _request(staff, request_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Tell the family why."), code="reason_required")
    if len(reason) > DECLINE_REASON_MAX:
        raise ValidationError(
            _("Keep it to %(max)d characters.") % {"max": DECLINE_REASON_MAX}, code="too_long"
        )
    with transaction.atomic():
        locked = RegularUseRequest.unscoped.select_for_update().get(pk=made.pk)
        if locked.status != RegularUseStatus.REQUESTED:
            raise ValidationError(
                _("This request has already been answered."), code="already_answered"
            )
        locked.status = RegularUseStatus.REFUSED
        locked.decided_at = clock.now()
        locked.decline_reason = reason
        locked.outcome = [
            DateOutcome(day, False, (reason,)).stored() for day in request_dates(locked)
        ]
        locked.save(update_fields=["status", "decided_at", "decline_reason", "outcome"])
        record("update", locked, fields=("status", "decided_at", "decline_reason", "outcome"))
        notify(
            Notice.REGULAR_USE_ANSWERED,
            locked.requested_by,
            facility_name=made.facility.name,
            booked=0,
            refused=len(locked.outcome),
            declined=True,  # the reason itself stays behind the login
            path=reverse("booking:regular_list"),
        )
    return locked


# --- views (thin: call the service above, render) ---------------------------------------------


@login_required
def staff_regular(request):
    shown = request.GET.get("show")
    status = None if shown == "all" else RegularUseStatus.REQUESTED
    made = requests_for_facility(request.user, status)
    return render(
        request, "booking/staff/regular.html", {"requests": made, "show_all": status is None}
    )


def _request_page(request, request_id: int, *, error: str = "", reason: str = "", status=200):
    page = request_page(request.user, request_id)
    context = {"page": page, "error": error, "reason": reason}
    return render(request, "booking/staff/regular_request.html", context, status=status)


@login_required
def staff_regular_request(request, request_id: int):
    """One request: the proposal with its confirmation and the decline form while it is open,
    the answer once given (the page allocation and declining redirect to: reload-safe)."""
    return _request_page(request, request_id)


@login_required
def staff_regular_allocate(request, request_id: int):
    if request.method != "POST":
        return redirect("booking:staff_regular_request", request_id)
    try:
        allocation = allocate(
            request.user, request_id, confirm_token=request.POST.get(confirm.FIELD)
        )
    except ValidationError as error:
        return _request_page(request, request_id, error=" ".join(error.messages), status=400)
    # The flash message names no child: it may show on whatever page comes next.
    messages.success(
        request,
        _("Allocated: %(booked)d days booked, %(left)d days left out.")
        % {"booked": len(allocation.created), "left": len(allocation.refused)},
    )
    return redirect("booking:staff_regular_request", request_id)


@login_required
def staff_regular_decline(request, request_id: int):
    if request.method != "POST":
        return redirect("booking:staff_regular_request", request_id)
    reason = request.POST.get("reason", "")
    try:
        decline(request.user, request_id, reason)
    except ValidationError as error:
        return _request_page(
            request, request_id, error=" ".join(error.messages), reason=reason, status=400
        )
    messages.success(request, _("The request was declined; the family is told why."))
    return redirect("booking:staff_regular_request", request_id)


# --- the joint proposal's views ----------------------------------------------------------------


def _joint_query(data) -> dict:
    """The joint page's selection from a query or a form: ``from``, ``to`` (dates) and the
    ``request`` ids (when none is given, every open request of the period). Bad input raises
    ValidationError with a message for the staff."""
    bounds = {}
    for key, name in (("from", "period_from"), ("to", "period_to")):
        value = (data.get(key) or "").strip()
        try:
            bounds[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise ValidationError(_("Enter a valid date."), code="bad_date") from None
    ids = data.getlist("request")
    if ids or data.get("chosen"):
        try:
            bounds["request_ids"] = [int(pk) for pk in ids]
        except ValueError:
            raise ValidationError(_("Choose the requests from the list."), code="bad_id") from None
    return bounds


def _joint_url(query: dict) -> str:
    from urllib.parse import urlencode

    params = [("from", query["period_from"].isoformat())] if query.get("period_from") else []
    if query.get("period_to"):
        params.append(("to", query["period_to"].isoformat()))
    if query.get("request_ids") is not None:
        params.append(("chosen", "1"))
        params += [("request", pk) for pk in query["request_ids"]]
    url = reverse("booking:staff_regular_joint")
    return f"{url}?{urlencode(params)}" if params else url


def _joint_render(request, query: dict, *, error: str = "", reason: str = "", status=200):
    try:
        page = joint_page(request.user, **query)
    except ValidationError as problem:
        error = " ".join([error, *problem.messages]).strip()
        query = {}
        page = joint_page(request.user)
        status = 400
    context = {"page": page, "error": error, "reason": reason, "query": query}
    return render(request, "booking/staff/regular_joint.html", context, status=status)


@login_required
def staff_regular_joint(request):
    """The joint proposal of the facility's open requests (a period, or a selection)."""
    try:
        query = _joint_query(request.GET)
    except ValidationError as error:
        return _joint_render(request, {}, error=" ".join(error.messages), status=400)
    return _joint_render(request, query)


@login_required
def staff_regular_joint_allocate(request):
    if request.method != "POST":
        return redirect("booking:staff_regular_joint")
    try:
        query = _joint_query(request.POST)
    except ValidationError as error:
        return _joint_render(request, {}, error=" ".join(error.messages), status=400)
    query.setdefault("request_ids", [])
    try:
        joint = allocate_joint(
            request.user, query["request_ids"], confirm_token=request.POST.get(confirm.FIELD)
        )
    except ValidationError as error:
        return _joint_render(request, query, error=" ".join(error.messages), status=400)
    messages.success(
        request,
        _("Allocated %(requests)d requests: %(booked)d days booked, %(left)d days left out.")
        % {
            "requests": len(joint.allocations),
            "booked": joint.booked,
            "left": joint.left_out,
        },
    )
    # The result: the same requests, now answered (a GET that reopens).
    return redirect(_joint_url(query))


@login_required
def staff_regular_joint_decline(request, request_id: int):
    """Decline one request from the joint page; back to the proposal, recomputed without it."""
    if request.method != "POST":
        return redirect("booking:staff_regular_joint")
    try:
        query = _joint_query(request.POST)
    except ValidationError as error:
        return _joint_render(request, {}, error=" ".join(error.messages), status=400)
    reason = request.POST.get("reason", "")
    try:
        decline(request.user, request_id, reason)
    except ValidationError as error:
        return _joint_render(
            request, query, error=" ".join(error.messages), reason=reason, status=400
        )
    messages.success(request, _("The request was declined; the family is told why."))
    return redirect(_joint_url(query))
