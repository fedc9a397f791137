"""The day in the room, as the facility's staff live it (see docs/facility-day.md).

The day screen lists the children booked at the staff member's facility on a day, per slot,
with what staff must know for their care (allergies, meal requirements, medical care, emergency
contacts, who picks up, the guardian's morning note) and never the household's fee class. Staff
check children in and out with the real times (a late pick-up extends the visit: the billable
minutes for the claim come from the real times), mark no-shows, undo a mistaken tap for a few
minutes, and cancel a day or a slot for the facility.

Every function authorizes through ``tsuen.authz.policy`` (out of reach: 404), refuses bad
input with a ``ValidationError`` in the user's language (nothing written) and audits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.attendance.forms_staff import slot_label
from tsuen.attendance.models import Attendance, AttendanceStatus, DailyRecord, MorningNote
from tsuen.attendance.services import NOTE_FIELDS, RECORD_FIELDS, child_of_visit
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking import services as booking_services
from tsuen.booking.models import Booking, BookingStatus
from tsuen.core import clock, confirm
from tsuen.facilities.models import PlaceSlot
from tsuen.families.models import Child, EmergencyContact
from tsuen.municipalities.models import rules_for

#: A mistaken tap (check-in, check-out, no-show) can be undone this long after it.
UNDO_MINUTES = 5
REASON_MAX_LENGTH = 200
#: What the day screen shows of a child: its care needs, never the household's fee class.
CARE_FIELDS = (
    "family_name",
    "given_name",
    "birth_date",
    "allergies",
    "meal_requirements",
    "medical_care",
    "pickup_persons",
)
CONTACT_FIELDS = ("name", "relation", "phone")
#: What the day screen shows of a child whose relationship with the facility has ended.
NAME_FIELDS = ("family_name", "given_name")
ATTENDANCE_FIELDS = ("status", "checked_in_at", "checked_out_at", "billable_minutes")


# --- the day screen ---------------------------------------------------------------------------


@dataclass
class DayVisit:
    booking: Booking
    note: MorningNote | None
    attendance: Attendance | None
    daily_record: DailyRecord | None
    contacts: list[EmergencyContact]
    #: Whether the child's care needs are shown: only while the facility's relationship with
    #: the child is live (``Action.CHILD_CARE_VIEW``); an old day keeps names and times only.
    care: bool = True

    @property
    def child(self):
        return self.booking.child

    @property
    def state(self) -> str:
        """``expected``, ``present`` (in the room), ``left`` or ``no_show``."""
        a = self.attendance
        if a is None:
            return "expected"
        if a.status == AttendanceStatus.NO_SHOW:
            return "no_show"
        return "left" if a.checked_out_at else "present"

    @property
    def can_undo(self) -> bool:
        a = self.attendance
        return a is not None and _undo_open(a, clock.now())


@dataclass
class DaySlot:
    slot: PlaceSlot
    visits: list[DayVisit] = field(default_factory=list)


@dataclass(frozen=True)
class DayPage:
    day: dt.date
    slots: list[DaySlot]
    is_today: bool

    @property
    def count(self) -> int:
        return sum(len(s.visits) for s in self.slots)


def _one(obj, name):
    try:
        return getattr(obj, name)
    except (Attendance.DoesNotExist, MorningNote.DoesNotExist, DailyRecord.DoesNotExist):
        return None


def day_for(staff, day: dt.date | None = None) -> DayPage:
    """The children booked at the staff member's facility on ``day`` (today by default), per
    slot, with their attendance and -- while the facility's relationship with the child is
    live (``Action.CHILD_CARE_VIEW``) -- their care needs, emergency contacts and morning
    notes. A constant number of queries, whatever the number of children."""
    require(staff, Action.FACILITY_DAY_VIEW, Booking)
    if not staff.is_facility or not staff.facility_id:
        raise Http404
    day = day or clock.today()
    bookings = list(
        filter_allowed(staff, Action.FACILITY_DAY_VIEW, Booking.objects.all())
        .filter(date=day, status=BookingStatus.CONFIRMED)
        .select_related(
            "child", "place_slot", "attendance", "morning_note", "daily_record", "facility"
        )
        .prefetch_related(
            Prefetch(
                "child__emergency_contacts",
                queryset=EmergencyContact.objects.order_by("priority", "pk"),
            )
        )
        .order_by("place_slot__starts_at", "place_slot__age_class", "starts_at", "child__pk")
    )
    cared = set(
        filter_allowed(
            staff,
            Action.CHILD_CARE_VIEW,
            Child.objects.filter(pk__in={b.child_id for b in bookings}),
        ).values_list("pk", flat=True)
    )
    slots: dict[int, DaySlot] = {}
    for booking in bookings:
        care = booking.child_id in cared
        visit = DayVisit(
            booking,
            _one(booking, "morning_note"),
            _one(booking, "attendance"),
            _one(booking, "daily_record"),
            list(booking.child.emergency_contacts.all()) if care else [],
            care,
        )
        slots.setdefault(booking.place_slot_id, DaySlot(booking.place_slot)).visits.append(visit)
    children = {b.child_id: b.child for b in bookings}.values()
    record_many("list", bookings, fields=("date", "starts_at", "ends_at"))
    record_many("read", [c for c in children if c.pk in cared], fields=CARE_FIELDS)
    record_many("list", [c for c in children if c.pk not in cared], fields=NAME_FIELDS)
    visits = [v for s in slots.values() for v in s.visits]
    record_many("read", [c for v in visits for c in v.contacts], fields=CONTACT_FIELDS)
    record_many(
        "read",
        [v.note for v in visits if v.note and v.care],
        fields=NOTE_FIELDS,
        subjects=child_of_visit,
    )
    return DayPage(day, list(slots.values()), day == clock.today())


# --- check-in, check-out, no-show, undo -------------------------------------------------------


def _locked_visit(staff, booking_id: int) -> Booking:
    booking = get_or_404(
        staff,
        Action.ATTENDANCE_RECORD,
        Booking.objects.select_for_update().select_related("child__household"),
        pk=booking_id,
    )
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(_("This visit is not booked any more."), code="not_booked")
    return booking


def _child_policy(booking: Booking) -> rules.Policy:
    return rules_for(booking.child.household.municipality_id, booking.date)


def billable_for(booking: Booking, checked_in_at: dt.datetime, checked_out_at: dt.datetime, policy):
    """Billable minutes from the real times: the visit covers at least the booked time (a
    late arrival or an early pick-up does not shorten it), and a late pick-up or an early
    arrival extends it; then the policy's minimum and step (``rules.billable_minutes``)."""
    start = min(booking.starts_at, checked_in_at)
    end = max(booking.ends_at, checked_out_at)
    return rules.billable_minutes(start, end, policy)


def check_in(staff, booking_id: int) -> Attendance:
    """The child has arrived: records the real time (now)."""
    now = clock.now()
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        if booking.date != timezone.localdate(now):
            raise ValidationError(
                _("Children can be checked in on the day of their visit only."), code="not_today"
            )
        existing = Attendance.objects.filter(booking=booking).first()
        if existing is not None and existing.status == AttendanceStatus.NO_SHOW:
            raise ValidationError(
                _("%(child)s is marked as not come: undo that first.")
                % {"child": booking.child.full_name},
                code="no_show",
            )
        if existing is not None:
            raise ValidationError(
                _("%(child)s is already checked in.") % {"child": booking.child.full_name},
                code="already_in",
            )
        attendance = Attendance.objects.create(
            booking=booking,
            status=AttendanceStatus.PRESENT,
            checked_in_at=now,
            recorded_by=staff,
            marked_at=now,
        )
        record("create", attendance, fields=("status", "checked_in_at"), subjects=[booking.child])
    return attendance


def check_out(staff, booking_id: int) -> Attendance:
    """The child has been picked up: records the real time (now) and the billable minutes."""
    now = clock.now()
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        attendance = Attendance.objects.select_for_update().filter(booking=booking).first()
        name = booking.child.full_name
        if attendance is None or attendance.status != AttendanceStatus.PRESENT:
            raise ValidationError(
                _("%(child)s has not been checked in, so cannot be checked out.") % {"child": name},
                code="not_in",
            )
        if attendance.checked_out_at is not None:
            raise ValidationError(
                _("%(child)s is already checked out.") % {"child": name}, code="already_out"
            )
        if now <= attendance.checked_in_at:
            raise ValidationError(
                _("The check-out must be after the check-in."), code="out_before_in"
            )
        attendance.checked_out_at = now
        attendance.billable_minutes = billable_for(
            booking, attendance.checked_in_at, now, _child_policy(booking)
        )
        attendance.marked_at = now
        attendance.recorded_by = staff
        attendance.save(
            update_fields=["checked_out_at", "billable_minutes", "marked_at", "recorded_by"]
        )
        record(
            "update",
            attendance,
            fields=("checked_out_at", "billable_minutes"),
            subjects=[booking.child],
        )
    return attendance


def mark_no_show(staff, booking_id: int) -> Attendance:
    """The child did not come. When the child's municipality says no-shows do not count, the
    booking's hours stop counting towards the caps."""
    now = clock.now()
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        if booking.date > timezone.localdate(now):
            raise ValidationError(
                _("A visit can be marked as not come from its day on."), code="too_early"
            )
        if Attendance.objects.filter(booking=booking).exists():
            raise ValidationError(
                _("%(child)s already has an attendance for this visit.")
                % {"child": booking.child.full_name},
                code="already_marked",
            )
        attendance = Attendance.objects.create(
            booking=booking, status=AttendanceStatus.NO_SHOW, recorded_by=staff, marked_at=now
        )
        if not _child_policy(booking).no_show_counts and booking.counts_toward_caps:
            booking.counts_toward_caps = False
            booking.save(update_fields=["counts_toward_caps"])
            record("update", booking, fields=("counts_toward_caps",))
        record("create", attendance, fields=("status",), subjects=[booking.child])
    return attendance


def _undo_open(attendance: Attendance, now: dt.datetime) -> bool:
    return attendance.marked_at is not None and now - attendance.marked_at <= dt.timedelta(
        minutes=UNDO_MINUTES
    )


def undo(staff, booking_id: int) -> Attendance | None:
    """Take back the last tap on a visit (check-out, check-in or no-show) within
    ``UNDO_MINUTES`` of it. Answers the attendance left, or ``None`` when none is left."""
    now = clock.now()
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        attendance = Attendance.objects.select_for_update().filter(booking=booking).first()
        if attendance is None:
            raise ValidationError(_("There is nothing to undo."), code="nothing")
        if not _undo_open(attendance, now):
            raise ValidationError(
                _("A tap can be undone for %(minutes)d minutes only.") % {"minutes": UNDO_MINUTES},
                code="too_late",
            )
        if attendance.checked_out_at is not None:
            attendance.checked_out_at = None
            attendance.billable_minutes = None
            attendance.marked_at = None
            attendance.save(update_fields=["checked_out_at", "billable_minutes", "marked_at"])
            record(
                "update",
                attendance,
                fields=("checked_out_at", "billable_minutes"),
                subjects=[booking.child],
            )
            return attendance
        if attendance.status == AttendanceStatus.NO_SHOW and not booking.counts_toward_caps:
            booking.counts_toward_caps = True
            booking.save(update_fields=["counts_toward_caps"])
            record("update", booking, fields=("counts_toward_caps",))
        record("delete", attendance, fields=ATTENDANCE_FIELDS, subjects=[booking.child])
        attendance.delete()
    return None


# --- cancelling a day or a slot ---------------------------------------------------------------


def slots_of_day(staff, day: dt.date) -> list[PlaceSlot]:
    """The place slots of the staff member's facility on ``day`` (to cancel one)."""
    require(staff, Action.BOOKING_CANCEL_BY_FACILITY, Booking)
    if not staff.is_facility or not staff.facility_id:
        raise Http404
    return list(
        PlaceSlot.objects.filter(facility_id=staff.facility_id, date=day).order_by(
            "starts_at", "age_class"
        )
    )


@dataclass(frozen=True)
class DayCancelEffects:
    """What cancelling a day (or one slot of it) would do: the bookings it cancels, the
    families told, per slot. ``token`` is what the confirmation posts back."""

    day: dt.date
    slot: PlaceSlot | None
    booking_ids: tuple[int, ...]
    families: int
    per_slot: tuple[tuple[str, int], ...]
    token: str

    @property
    def bookings(self) -> int:
        return len(self.booking_ids)


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Tell the families why."), code="reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep it to %(max)d characters.") % {"max": REASON_MAX_LENGTH}, code="too_long"
        )
    return reason


def cancel_day_effects(
    staff, day: dt.date, place_slot_id: int | None = None, reason: str = ""
) -> DayCancelEffects:
    """What :func:`cancel_day` would do now (nothing is written). Refuses what cancel_day
    refuses (no reason, a past day, a slot of another day)."""
    require(staff, Action.BOOKING_CANCEL_BY_FACILITY, Booking)
    if not staff.is_facility or not staff.facility_id:
        raise Http404
    reason = _clean_reason(reason)
    if day < clock.today():
        raise ValidationError(_("A past day cannot be cancelled."), code="past")
    bookings = filter_allowed(staff, Action.BOOKING_CANCEL_BY_FACILITY, Booking.objects.all())
    slot = None
    if place_slot_id is not None:
        slot = PlaceSlot.objects.filter(
            pk=place_slot_id, facility_id=staff.facility_id, date=day
        ).first()
        if slot is None:
            raise ValidationError(_("Choose a slot of that day."), code="slot")
        bookings = bookings.filter(place_slot=slot)
    rows = list(
        bookings.filter(date=day, status=BookingStatus.CONFIRMED, attendance__isnull=True)
        .select_related("place_slot", "child")
        .order_by("pk")
    )
    counts: dict[PlaceSlot, int] = {}
    for booking in rows:
        counts[booking.place_slot] = counts.get(booking.place_slot, 0) + 1
    per_slot = tuple(
        (slot_label(s), n)
        for s, n in sorted(counts.items(), key=lambda item: (item[0].starts_at, item[0].age_class))
    )
    ids = tuple(b.pk for b in rows)
    families = len({b.child.household_id for b in rows})
    return DayCancelEffects(
        day,
        slot,
        ids,
        families,
        per_slot,
        confirm.token("cancel_day", day, place_slot_id, reason, ids),
    )


def cancel_day(
    staff,
    day: dt.date,
    reason: str,
    place_slot_id: int | None = None,
    *,
    confirm_token: str | None = None,
) -> int:
    """Cancel every booking of the staff member's facility on ``day`` (or in one slot of it)
    for the facility (closure, an outbreak): the hours return and each family is told, with
    the reason (``booking.services.cancel_by_facility``). Visits already begun (a child checked
    in or marked) stay. Refused unless ``confirm_token`` is the token of the effects shown
    (:func:`cancel_day_effects`) and they are still the same. Answers how many bookings were
    cancelled."""
    effects = cancel_day_effects(staff, day, place_slot_id, reason)
    confirm.require(confirm_token, effects.token)
    if not effects.booking_ids:
        return 0
    return len(
        booking_services.cancel_by_facility(staff, effects.booking_ids, _clean_reason(reason))
    )


# --- the daily record page --------------------------------------------------------------------


@dataclass(frozen=True)
class RecordPage:
    booking: Booking
    daily_record: DailyRecord | None
    note: MorningNote | None


def record_page(staff, booking_id: int) -> RecordPage:
    """What the staff's daily-record page shows: the visit, the record so far (draft or
    published) and the guardian's morning note. 404 outside the staff member's facility."""
    booking = get_or_404(
        staff,
        Action.DAILY_RECORD_WRITE,
        Booking.objects.select_related("child", "daily_record", "morning_note", "attendance"),
        pk=booking_id,
    )
    daily, note = _one(booking, "daily_record"), _one(booking, "morning_note")
    record("read", booking, fields=("date", "starts_at", "ends_at"))
    if daily is not None:
        record("read", daily, fields=RECORD_FIELDS, subjects=[booking.child])
    if note is not None:
        record("read", note, fields=NOTE_FIELDS, subjects=[booking.child])
    return RecordPage(booking, daily, note)
