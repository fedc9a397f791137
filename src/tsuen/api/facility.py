"""A facility's own system (docs/api.md, "A facility system's day"): the day's bookings with
what the room needs, check-in, check-out, no-show, the daily record (連絡帳), the places and a
single day's capacity, the month's claim status.

Each operation calls the service the staff screens use, as the client's system user (a staff
member or the manager of the client's facility): the same authorization (404 outside reach),
the same refusals (409 in the wrong state, 422 for bad input) and the same audit events.
"""

import datetime as dt
from typing import Any, Literal

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Schema
from pydantic import Field

from tsuen.api import paging
from tsuen.api.problems import ApiError
from tsuen.api.security import operation
from tsuen.attendance import services as attendance_services
from tsuen.attendance import services_staff as day_services
from tsuen.attendance.models import DailyRecord
from tsuen.audit import record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404
from tsuen.billing.models import Claim
from tsuen.booking.models import Booking
from tsuen.core import clock
from tsuen.facilities import services as facility_services
from tsuen.facilities import services_staff as places_services
from tsuen.facilities.models import PlaceSlot

router = Router(tags=["facility"])

MAX_PLACE_DAYS = 62


# --- Schemas ----------------------------------------------------------------------------------


class Contact(Schema):
    name: str
    relation: str
    phone: str


class Care(Schema):
    allergies: list[Any]
    meal_requirements: str
    medical_care: bool
    pickup_persons: list[Any]


class DayChild(Schema):
    id: int
    family_name: str
    given_name: str
    birth_date: dt.date | None = Field(description="null when the care fields are not shown")
    care: Care | None = Field(
        description="what the room needs; null once the facility's relationship with the "
        "child has ended (as on the day screen)"
    )
    emergency_contacts: list[Contact]


class MorningNoteOut(Schema):
    health: str
    temperature: float | None
    pickup_person: str


class AttendanceOut(Schema):
    booking_id: int
    state: Literal["expected", "present", "left", "no_show"]
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    billable_minutes: int | None


class SlotRef(Schema):
    id: int
    starts_at: str
    ends_at: str
    age_class: int


class DayBooking(Schema):
    id: int
    date: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    slot: SlotRef
    child: DayChild
    morning_note: MorningNoteOut | None
    attendance: AttendanceOut
    daily_record_status: Literal["none", "draft", "published"]


class DayBookingPage(Schema):
    date: dt.date
    items: list[DayBooking]
    next_cursor: str | None


class DayQuery(Schema):
    date: dt.date | None = Field(None, description="the day (default: today, Japan time)")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


class TimesIn(Schema):
    reason: str = Field(
        "",
        max_length=day_services.REASON_MAX_LENGTH,
        description="why the times are unusual (required when the service asks for one)",
    )


class RecordOut(Schema):
    booking_id: int
    status: Literal["none", "draft", "published"]
    meals: str
    nap: str
    mood: str
    toileting: str
    temperature: float | None
    notes: str
    published_at: dt.datetime | None


class RecordIn(Schema):
    meals: str = Field("", max_length=2000)
    nap: str = Field("", max_length=100)
    mood: str = Field("", max_length=100)
    toileting: str = Field("", max_length=100)
    temperature: float | None = Field(None, ge=30, le=45)
    notes: str = Field("", max_length=4000)
    publish: bool = Field(False, description="true: publish to the family (cannot be undone)")


class PlaceOut(Schema):
    id: int
    date: dt.date
    starts_at: str
    ends_at: str
    age_class: int
    capacity: int
    booked: int
    left: int


class PlacePage(Schema):
    items: list[PlaceOut]
    next_cursor: str | None


class PlaceQuery(Schema):
    start: dt.date | None = Field(None, alias="from", description="first day (default today)")
    end: dt.date | None = Field(
        None, alias="to", description="last day (default: four weeks from the first)"
    )
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


class CapacityIn(Schema):
    capacity: int = Field(ge=0, le=999)


class ClaimOut(Schema):
    id: int
    year: int
    month: int
    paying_municipality_code: str
    paying_municipality_name: str
    version: int
    status: str
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    paid_at: dt.datetime | None


class ClaimQuery(Schema):
    year: int = Field(ge=2020, le=2100)
    month: int = Field(ge=1, le=12)


class ClaimList(Schema):
    items: list[ClaimOut]


# --- Helpers ----------------------------------------------------------------------------------


def _hm(value) -> str:
    return value.strftime("%H:%M")


def _local(value: dt.datetime | None) -> dt.datetime | None:
    from django.utils import timezone

    return timezone.localtime(value) if value else None


def _attendance(booking_id: int, a) -> dict:
    if a is None:
        state = "expected"
    elif a.status == "no_show":
        state = "no_show"
    else:
        state = "left" if a.checked_out_at else "present"
    return {
        "booking_id": booking_id,
        "state": state,
        "checked_in_at": _local(a.checked_in_at) if a else None,
        "checked_out_at": _local(a.checked_out_at) if a else None,
        "billable_minutes": a.billable_minutes if a else None,
    }


def _visit(v: day_services.DayVisit) -> dict:
    b, child = v.booking, v.booking.child
    return {
        "id": b.pk,
        "date": b.date,
        "starts_at": _local(b.starts_at),
        "ends_at": _local(b.ends_at),
        "slot": {
            "id": b.place_slot.pk,
            "starts_at": _hm(b.place_slot.starts_at),
            "ends_at": _hm(b.place_slot.ends_at),
            "age_class": b.place_slot.age_class,
        },
        "child": {
            "id": child.pk,
            "family_name": child.family_name,
            "given_name": child.given_name,
            "birth_date": child.birth_date if v.care else None,
            "care": (
                {
                    "allergies": list(child.allergies or []),
                    "meal_requirements": child.meal_requirements or "",
                    "medical_care": bool(child.medical_care),
                    "pickup_persons": list(child.pickup_persons or []),
                }
                if v.care
                else None
            ),
            "emergency_contacts": [
                {"name": c.name, "relation": c.relation, "phone": c.phone} for c in v.contacts
            ],
        },
        "morning_note": (
            {
                "health": v.note.health or "",
                "temperature": float(v.note.temperature) if v.note.temperature else None,
                "pickup_person": v.note.pickup_person,
            }
            if v.note is not None and v.care
            else None
        ),
        "attendance": _attendance(b.pk, v.attendance),
        "daily_record_status": v.daily_record.status if v.daily_record else "none",
    }


def _record(booking_id: int, daily: DailyRecord | None) -> dict:
    if daily is None:
        return {
            "booking_id": booking_id,
            "status": "none",
            "meals": "",
            "nap": "",
            "mood": "",
            "toileting": "",
            "temperature": None,
            "notes": "",
            "published_at": None,
        }
    return {
        "booking_id": booking_id,
        "status": daily.status,
        "meals": daily.meals,
        "nap": daily.nap,
        "mood": daily.mood,
        "toileting": daily.toileting,
        "temperature": float(daily.temperature) if daily.temperature is not None else None,
        "notes": daily.notes or "",
        "published_at": _local(daily.published_at),
    }


def _place(slot) -> dict:
    return {
        "id": slot.pk,
        "date": slot.date,
        "starts_at": _hm(slot.starts_at),
        "ends_at": _hm(slot.ends_at),
        "age_class": slot.age_class,
        "capacity": slot.capacity,
        "booked": slot.booked,
        "left": slot.left,
    }


def _slots():
    return PlaceSlot.objects.annotate(
        booked=facility_services._booked(), left=facility_services._left()
    )


def _place_etag(slot) -> str:
    return paging.etag_of({"slot": slot.pk, "capacity": slot.capacity})


# --- The day's bookings -----------------------------------------------------------------------


@operation(
    router,
    "get",
    "/bookings",
    scope="facility.bookings.read",
    response=DayBookingPage,
    url_name="facility_bookings",
    summary="The day's bookings with what the room needs",
)
def facility_bookings(request, response: HttpResponse, query: Query[DayQuery]):
    """The children booked at the client's facility on a day (today by default), with their
    care needs, emergency contacts, the guardian's morning note and the attendance so far:
    what the staff's day screen shows (the care fields only while the facility's
    relationship with the child is live). Every read is audited as the client."""
    day = query.date or clock.today()
    asked = {"d": day.isoformat()}
    after = paging.read_cursor(query.cursor, "facility_bookings", **asked)
    page = day_services.day_for(request.auth.user, day)
    visits = sorted(
        (v for s in page.slots for v in s.visits if v.booking.pk > after),
        key=lambda v: v.booking.pk,
    )
    shown, next_cursor = paging.page(
        visits, query.limit, "facility_bookings", key=lambda v: v.booking.pk, **asked
    )
    body = {"date": day, "items": [_visit(v) for v in shown], "next_cursor": next_cursor}
    response["ETag"] = paging.etag_of(body)
    return body


# --- Attendance -------------------------------------------------------------------------------


def _done(booking_id: int, attendance) -> dict:
    return _attendance(booking_id, attendance)


@operation(
    router,
    "post",
    "/bookings/{booking_id}/check-in",
    scope="facility.attendance.write",
    problems=(409,),
    response=AttendanceOut,
    url_name="facility_check_in",
    summary="Check a child in (now)",
)
def facility_check_in(request, booking_id: Path[int], data: TimesIn):
    """Records the real arrival time (now), on the day of the visit."""
    return _done(booking_id, day_services.check_in(request.auth.user, booking_id, data.reason))


@operation(
    router,
    "post",
    "/bookings/{booking_id}/check-out",
    scope="facility.attendance.write",
    problems=(409,),
    response=AttendanceOut,
    url_name="facility_check_out",
    summary="Check a child out (now)",
)
def facility_check_out(request, booking_id: Path[int], data: TimesIn):
    """Records the real pick-up time (now) and the billable minutes."""
    return _done(booking_id, day_services.check_out(request.auth.user, booking_id, data.reason))


@operation(
    router,
    "post",
    "/bookings/{booking_id}/no-show",
    scope="facility.attendance.write",
    problems=(409,),
    response=AttendanceOut,
    url_name="facility_no_show",
    summary="Mark a booked child as not come",
)
def facility_no_show(request, booking_id: Path[int]):
    return _done(booking_id, day_services.mark_no_show(request.auth.user, booking_id))


# --- The daily record (連絡帳) ------------------------------------------------------------------


def _visit_for_record(user, booking_id: int, *, lock: bool = False) -> Booking:
    queryset = Booking.objects.select_for_update() if lock else Booking.objects.all()
    return get_or_404(user, Action.DAILY_RECORD_WRITE, queryset, pk=booking_id)


def _current_record(user, booking_id: int) -> DailyRecord | None:
    if not DailyRecord.objects.filter(booking_id=booking_id).exists():
        return None
    return attendance_services.daily_record_for(user, booking_id)  # audited


@operation(
    router,
    "get",
    "/bookings/{booking_id}/daily-record",
    scope="facility.records.write",
    response=RecordOut,
    url_name="facility_daily_record",
    summary="A visit's daily record, with its ETag",
)
def facility_daily_record(request, response: HttpResponse, booking_id: Path[int]):
    """The daily record of a visit (``status: none`` before the first write). Its ETag goes in
    ``If-Match`` of the next write."""
    user = request.auth.user
    _visit_for_record(user, booking_id)
    body = _record(booking_id, _current_record(user, booking_id))
    response["ETag"] = paging.etag_of(body)
    return body


@operation(
    router,
    "put",
    "/bookings/{booking_id}/daily-record",
    scope="facility.records.write",
    problems=(409, 412, 428),
    response=RecordOut,
    url_name="facility_daily_record_write",
    summary="Write the daily record (draft, or publish to the family)",
)
def facility_daily_record_write(
    request,
    response: HttpResponse,
    booking_id: Path[int],
    data: RecordIn,
    if_match: str | None = Header(None, alias="If-Match"),
):
    """Writes the whole record. ``If-Match`` must carry the ETag of the record as last read
    (428 without it, 412 when someone wrote since). ``publish: true`` shows it to the family;
    a published record can be corrected but not taken back into draft."""
    user = request.auth.user
    with transaction.atomic():
        _visit_for_record(user, booking_id, lock=True)
        current = _record(booking_id, _current_record(user, booking_id))
        paging.require_match(if_match, paging.etag_of(current))
        daily = attendance_services.write_daily_record(
            user,
            booking_id,
            meals=data.meals,
            nap=data.nap,
            mood=data.mood,
            toileting=data.toileting,
            temperature=None if data.temperature is None else str(data.temperature),
            notes=data.notes,
            publish=data.publish,
        )
    body = _record(booking_id, daily)
    response["ETag"] = paging.etag_of(body)
    return body


# --- Places -----------------------------------------------------------------------------------


@operation(
    router,
    "get",
    "/places",
    scope="facility.places.read",
    response=PlacePage,
    url_name="facility_places",
    summary="The facility's places per slot",
)
def facility_places(request, query: Query[PlaceQuery]):
    """The slots of the client's facility between ``from`` and ``to`` (at most 62 days), with
    their capacity, the places booked and the places left."""
    start = query.start or clock.today()
    end = query.end or start + dt.timedelta(days=27)
    if end < start or (end - start).days >= MAX_PLACE_DAYS:
        message = _("Ask for at most %(days)d days, from a first day not after the last.") % {
            "days": MAX_PLACE_DAYS
        }
        raise ApiError(422, message, errors=[{"field": "to", "message": message, "code": "range"}])
    asked = {"f": start.isoformat(), "t": end.isoformat()}
    after = paging.read_cursor(query.cursor, "facility_places", **asked)
    user = request.auth.user
    places_services.facility_of(user, Action.PLACES_MANAGE)  # 404 for a staff-role client
    rows = list(
        filter_allowed(user, Action.PLACES_MANAGE, _slots())
        .filter(date__range=(start, end), pk__gt=after)
        .order_by("pk")[: query.limit + 1]
    )
    shown, next_cursor = paging.page(rows, query.limit, "facility_places", **asked)
    return {"items": [_place(s) for s in shown], "next_cursor": next_cursor}


@operation(
    router,
    "get",
    "/places/{slot_id}",
    scope="facility.places.read",
    response=PlaceOut,
    url_name="facility_place",
    summary="One slot's places, with its ETag",
)
def facility_place(request, response: HttpResponse, slot_id: Path[int]):
    slot = get_or_404(request.auth.user, Action.PLACES_MANAGE, _slots(), pk=slot_id)
    response["ETag"] = _place_etag(slot)
    return _place(slot)


@operation(
    router,
    "put",
    "/places/{slot_id}/capacity",
    scope="facility.capacity.write",
    problems=(409, 412, 428),
    response=PlaceOut,
    url_name="facility_place_capacity",
    summary="Change one slot's places for its day",
)
def facility_place_capacity(
    request,
    response: HttpResponse,
    slot_id: Path[int],
    data: CapacityIn,
    if_match: str | None = Header(None, alias="If-Match"),
):
    """A single-day exception. Never below the places taken; places added are offered to the
    slot's waitlist. ``If-Match``: the slot's ETag as last read (428 without, 412 if stale)."""
    user = request.auth.user
    with transaction.atomic():
        slot = get_or_404(
            user, Action.PLACES_MANAGE, PlaceSlot.objects.select_for_update(), pk=slot_id
        )
        paging.require_match(if_match, _place_etag(slot))
        places_services.set_capacity(user, slot_id, data.capacity)
    slot = get_or_404(user, Action.PLACES_MANAGE, _slots(), pk=slot_id)
    response["ETag"] = _place_etag(slot)
    return _place(slot)


# --- Claims -----------------------------------------------------------------------------------


@operation(
    router,
    "get",
    "/claims",
    scope="facility.claims.read",
    response=ClaimList,
    url_name="facility_claims",
    summary="The month's claims and their status",
)
def facility_claims(request, query: Query[ClaimQuery]):
    """The facility's claims of a month, one per paying municipality and version: draft,
    submitted, approved, paid (see docs/billing.md)."""
    user = request.auth.user
    places_services.facility_of(user, Action.CLAIM_VIEW)  # 404 for a staff-role client
    claims = list(
        filter_allowed(
            user,
            Action.CLAIM_VIEW,
            Claim.objects.filter(facility_id=user.facility_id, year=query.year, month=query.month),
        )
        .select_related("paying_municipality")
        .order_by("paying_municipality__code", "version", "pk")
    )
    record_many("list", claims, fields=("status",))
    return {
        "items": [
            {
                "id": c.pk,
                "year": c.year,
                "month": c.month,
                "paying_municipality_code": c.paying_municipality.code,
                "paying_municipality_name": c.paying_municipality.name,
                "version": c.version,
                "status": c.status,
                "submitted_at": _local(c.submitted_at),
                "approved_at": _local(c.approved_at),
                "paid_at": _local(c.paid_at),
            }
            for c in claims
        ]
    }
