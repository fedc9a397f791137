"""The facility's side of regular use (定期利用): the list of requests and their allocation.

Allocating a request turns it into bookings (kind REGULAR) for every matching weekday of its
period, each judged by the booking service's own evaluation (``booking.services._evaluate``:
certification, eligibility, interview, age class, length, slot, overlap, places, caps), so no
rule is duplicated here. A date where a rule refuses (a cap or a place short, no slot for the
child's age class, a closure...) is trimmed, with its reason shown to staff; the others are
booked. The request is then ALLOCATED (some dates booked) or REFUSED (none). One transaction:
every slot and the child are locked in the booking service's order, so a family booking at the
same moment cannot take a place twice.

The booking window (how far ahead a family may book) is the family's limit for flexible use;
an allocation is the facility planning its regular places, so that one rule is not applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
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
from tsuen.booking.regular import requests_for_facility
from tsuen.core import clock
from tsuen.facilities import calendar
from tsuen.facilities.models import PlaceSlot
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify

#: Booking rules that do not apply to a facility's allocation (see the module docstring).
NOT_FOR_ALLOCATION = frozenset({"window_not_open"})

__all__ = ["Allocation", "DateOutcome", "allocate", "request_dates", "requests_for_facility"]


@dataclass(frozen=True)
class DateOutcome:
    day: dt.date
    booking: Booking | None
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.booking is not None


@dataclass(frozen=True)
class Allocation:
    request: RegularUseRequest
    outcomes: tuple[DateOutcome, ...]

    @property
    def created(self) -> list[Booking]:
        return [o.booking for o in self.outcomes if o.booking is not None]

    @property
    def refused(self) -> list[DateOutcome]:
        return [o for o in self.outcomes if o.booking is None]


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


def allocate(staff, request_id: int) -> Allocation:
    """Allocate an open request of the staff member's facility: book every date that the
    booking rules allow, trim the others with their reasons. 404 outside the facility."""
    made = get_or_404(
        staff,
        Action.REGULAR_REQUEST_ALLOCATE,
        RegularUseRequest.objects.select_related("child__household", "facility"),
        pk=request_id,
    )
    child = made.child
    now = clock.now()
    days = request_dates(made)
    with transaction.atomic():
        slots = _slots(made, days)
        booking_services._lock([s.pk for s in slots.values()], [child.pk])
        locked = RegularUseRequest.unscoped.select_for_update().get(pk=made.pk)
        if locked.status != RegularUseStatus.REQUESTED:
            raise ValidationError(
                _("This request has already been answered."), code="already_answered"
            )
        closed = calendar.closed_days(made.facility_id, days[0], days[-1]) if days else {}
        outcomes = []
        for day in days:
            slot = slots.get(day)
            if slot is None and day in closed:
                reason = str(booking_services.MESSAGES["facility_closed"])
                outcomes.append(DateOutcome(day, None, (reason % {"reason": closed[day]},)))
                continue
            if slot is None:
                outcomes.append(
                    DateOutcome(
                        day,
                        None,
                        (_("The facility has no places for this age class at that time."),),
                    )
                )
                continue
            preview = booking_services._evaluate(
                child, slot, made.starts_at, made.ends_at, BookingKind.REGULAR, now,
                full_detail=False,
            )  # fmt: skip
            problems = [p for p in preview.problems if p.code not in NOT_FOR_ALLOCATION]
            if problems:
                reasons = tuple(_staff_message(p) for p in problems)
                outcomes.append(DateOutcome(day, None, reasons))
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
                outcomes.append(
                    DateOutcome(
                        day,
                        None,
                        (str(booking_services.MESSAGES["overlap"]) % {"child": child.full_name},),
                    )
                )
                continue
            record("create", booking, fields=booking_services.BOOKING_FIELDS)
            outcomes.append(DateOutcome(day, booking))
        allocation = Allocation(locked, tuple(outcomes))
        locked.status = (
            RegularUseStatus.ALLOCATED if allocation.created else RegularUseStatus.REFUSED
        )
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
        record("update", locked, fields=("status", "decided_at"))
        notify(
            Notice.REGULAR_USE_ANSWERED,
            locked.requested_by,
            facility_name=made.facility.name,
            booked=len(allocation.created),
            refused=len(allocation.outcomes) - len(allocation.created),
            path=reverse("booking:regular_list"),
        )
    return allocation


# --- views (thin: call the service above, render) ---------------------------------------------


@login_required
def staff_regular(request):
    shown = request.GET.get("show")
    status = None if shown == "all" else RegularUseStatus.REQUESTED
    made = requests_for_facility(request.user, status)
    return render(
        request, "booking/staff/regular.html", {"requests": made, "show_all": status is None}
    )


@login_required
def staff_regular_allocate(request, request_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        allocation = allocate(request.user, request_id)
    except ValidationError as error:
        return render(
            request,
            "booking/staff/regular_allocated.html",
            {"error": " ".join(error.messages)},
            status=400,
        )
    return render(request, "booking/staff/regular_allocated.html", {"allocation": allocation})
