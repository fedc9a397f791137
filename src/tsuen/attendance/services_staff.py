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
from django.utils.translation import gettext_lazy

from tsuen import rules
from tsuen.attendance.forms_staff import slot_label
from tsuen.attendance.models import (
    Attendance,
    AttendanceStatus,
    DailyRecord,
    MorningNote,
    TapSource,
)
from tsuen.attendance.services import NOTE_FIELDS, RECORD_FIELDS, child_of_visit
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking import services as booking_services
from tsuen.booking.models import Booking, BookingStatus
from tsuen.core import clock, confirm
from tsuen.facilities.models import PlaceSlot
from tsuen.families.models import Child, EmergencyContact
from tsuen.municipalities.models import rules_for
from tsuen.webhooks import outbox
from tsuen.webhooks.models import EventType

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
ATTENDANCE_FIELDS = (
    "status",
    "checked_in_at",
    "checked_out_at",
    "billable_minutes",
    "times_reason",
)


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
    #: Why the real times are unusual or were corrected (``Attendance.times_reason``), shown
    #: to staff who may record the visit's attendance (``Action.ATTENDANCE_RECORD``), else "".
    times_reason: str = ""

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
    reasoned = _times_reasons(staff, [v.attendance for s in slots.values() for v in s.visits])
    for s in slots.values():
        for v in s.visits:
            if v.attendance is not None and v.attendance.pk in reasoned:
                v.times_reason = v.attendance.times_reason
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


def _times_reasons(staff, attendances) -> set[int]:
    """The attendances among ``attendances`` whose reason for the times the day screen shows:
    those with a reason, of visits ``staff`` may record attendance of; each one read is
    audited (the reason is the child's personal data, encrypted at rest)."""
    with_reason = {a.booking_id: a for a in attendances if a is not None and a.times_reason}
    if not with_reason:
        return set()
    allowed = set(
        filter_allowed(
            staff, Action.ATTENDANCE_RECORD, Booking.objects.filter(pk__in=with_reason)
        ).values_list("pk", flat=True)
    )
    shown = [a for booking_id, a in with_reason.items() if booking_id in allowed]
    record_many("read", shown, fields=("times_reason",), subjects=child_of_visit)
    return {a.pk for a in shown}


# --- check-in, check-out, no-show, undo -------------------------------------------------------


def _locked_visit(staff, booking_id: int) -> Booking:
    booking = get_or_404(
        staff,
        Action.ATTENDANCE_RECORD,
        Booking.objects.select_for_update(of=("self",)).select_related(
            "child__household", "facility"
        ),
        pk=booking_id,
    )
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(_("This visit is not booked any more."), code="not_booked")
    return booking


def _child_policy(booking: Booking) -> rules.Policy:
    return rules_for(booking.child.household.municipality_id, booking.date)


def billable_for(booking: Booking, checked_in_at: dt.datetime, checked_out_at: dt.datetime, policy):
    """The visit's billed minutes from the booked and the real times
    (``rules.visit_billable_minutes``: the booking counts, real time outside it is added)."""
    return rules.visit_billable_minutes(
        booking.starts_at, booking.ends_at, checked_in_at, checked_out_at, policy
    )


#: What staff are told before unusual real times are recorded (``rules.visit_time_warnings``).
TIME_WARNINGS = {
    rules.CHECK_IN_AFTER_END: gettext_lazy("The check-in is after the booked end of the visit."),
    rules.LONGER_THAN_BOOKED: gettext_lazy(
        "The visit runs longer than the booking by more than %(step)d minutes: the extra time "
        "is billed to the family and in the claim."
    ),
    rules.OUTSIDE_OPENING_HOURS: gettext_lazy("The time is outside the facility's opening hours."),
}


class ReasonNeeded(ValidationError):
    """Unusual real times: staff must give a reason (``warnings``: the messages) to record them."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        super().__init__(
            [*warnings, _("Give a reason to record these times.")], code="reason_required"
        )


def _opening_hours(booking: Booking) -> tuple[dt.datetime | None, dt.datetime | None]:
    facility = booking.facility
    tz = timezone.get_current_timezone()

    def on_day(time):
        return None if time is None else dt.datetime.combine(booking.date, time, tzinfo=tz)

    return on_day(facility.opens_at), on_day(facility.closes_at)


def _clean_reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep it to %(max)d characters.") % {"max": REASON_MAX_LENGTH}, code="too_long"
        )
    return reason


def _require_reason(
    booking, checked_in, checked_out, policy, reason: str, covered: tuple[str, ...] = ()
) -> None:
    """Refuse unusual real times (``rules.visit_time_warnings``) without a reason; the
    ``covered`` warnings were explained already (at check-in)."""
    opens, closes = _opening_hours(booking)
    found = rules.visit_time_warnings(
        booking.starts_at, booking.ends_at, checked_in, checked_out, policy, opens, closes
    )
    found = tuple(w for w in found if w not in covered)
    if found and not reason:
        step = {"step": policy.billing_step_minutes}
        raise ReasonNeeded([str(TIME_WARNINGS[w]) % step for w in found])


def claim_submitted_for(booking: Booking):
    """The submitted claim (latest version, not a draft) of the month holding the visit, from
    its facility to the child's municipality; ``None`` while the month's claim is a draft or
    not made. A visit in a submitted claim keeps its times."""
    from tsuen.billing.models import Claim, ClaimStatus

    latest = (
        Claim.unscoped.filter(
            facility_id=booking.facility_id,
            paying_municipality_id=booking.child.household.municipality_id,
            year=booking.date.year,
            month=booking.date.month,
        )
        .order_by("-version")
        .first()
    )
    return latest if latest is not None and latest.status != ClaimStatus.DRAFT else None


def _refuse_when_claimed(booking: Booking) -> None:
    from tsuen.billing.services import month_label

    claim = claim_submitted_for(booking)
    if claim is not None:
        raise ValidationError(
            _(
                "The claim for %(month)s has been submitted, so the times of this visit can no "
                "longer be changed. If they are wrong, tell the ward."
            )
            % {"month": month_label(claim.year, claim.month)},
            code="claim_submitted",
        )


def check_in(staff, booking_id: int, reason: str = "") -> Attendance:
    """The child has arrived: records the real time (now). A check-in after the booked end or
    outside the facility's hours needs a ``reason`` (:class:`ReasonNeeded` without one)."""
    now = clock.now()
    reason = _clean_reason(reason)
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        return check_in_locked(staff, booking, now, reason)


def check_in_locked(
    actor, booking: Booking, now: dt.datetime, reason: str = "", source: str = TapSource.STAFF
) -> Attendance:
    """The locking core of every check-in (staff on the day screen, the guardian's QR scan in
    ``services_qr``): ``booking`` is already authorized for ``actor``, locked
    (``select_for_update``) and confirmed, inside the caller's transaction. Refuses a visit
    of another day, a child marked as not come or already checked in, and unusual times
    without a ``reason``; writes the attendance (``source``: how it was taken) and audits."""
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
    _require_reason(booking, now, None, _child_policy(booking), reason)
    attendance = Attendance.objects.create(
        booking=booking,
        status=AttendanceStatus.PRESENT,
        checked_in_at=now,
        recorded_by=actor,
        marked_at=now,
        times_reason=reason,
        check_in_source=source,
    )
    fields = ("status", "checked_in_at") + (("times_reason",) if reason else ())
    record("create", attendance, fields=fields, subjects=[booking.child])
    outbox.attendance_event(EventType.CHECKED_IN, attendance, booking)
    return attendance


def check_out(staff, booking_id: int, reason: str = "") -> Attendance:
    """The child has been picked up: records the real time (now) and the billed minutes. A
    stay beyond the booking by more than a step, after a check-in past the booked end, or
    outside the facility's hours needs a ``reason`` (:class:`ReasonNeeded` without one)."""
    now = clock.now()
    reason = _clean_reason(reason)
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        return check_out_locked(staff, booking, now, reason)


def check_out_locked(
    actor, booking: Booking, now: dt.datetime, reason: str = "", source: str = TapSource.STAFF
) -> Attendance:
    """The locking core of every check-out (staff, or the guardian's QR scan): ``booking`` is
    authorized, locked and confirmed in the caller's transaction (see :func:`check_in_locked`).
    Refuses a child not checked in or already out, a check-out not after the check-in, a
    month whose claim is submitted, and unusual times without a ``reason``."""
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
        raise ValidationError(_("The check-out must be after the check-in."), code="out_before_in")
    _refuse_when_claimed(booking)
    policy = _child_policy(booking)
    # A reason given at check-in covers what was unusual about the check-in.
    given = reason or attendance.times_reason
    covered: tuple[str, ...] = ()
    if attendance.times_reason:
        opens, closes = _opening_hours(booking)
        covered = rules.visit_time_warnings(
            booking.starts_at,
            booking.ends_at,
            attendance.checked_in_at,
            None,
            policy,
            opens,
            closes,
        )
    _require_reason(booking, attendance.checked_in_at, now, policy, reason, covered)
    attendance.checked_out_at = now
    attendance.billable_minutes = billable_for(booking, attendance.checked_in_at, now, policy)
    attendance.marked_at = now
    attendance.recorded_by = actor
    attendance.times_reason = given
    attendance.check_out_source = source
    attendance.save(
        update_fields=[
            "checked_out_at",
            "billable_minutes",
            "marked_at",
            "recorded_by",
            "times_reason",
            "check_out_source",
        ]
    )
    fields = ("checked_out_at", "billable_minutes") + (("times_reason",) if reason else ())
    record("update", attendance, fields=fields, subjects=[booking.child])
    outbox.attendance_event(EventType.CHECKED_OUT, attendance, booking)
    return attendance


@dataclass(frozen=True)
class TimesPage:
    booking: Booking
    attendance: Attendance | None
    #: The submitted claim holding the visit (its times can no longer change), else None.
    claim: object | None

    @property
    def claim_month(self) -> str:
        from tsuen.billing.services import month_label

        return month_label(self.claim.year, self.claim.month) if self.claim else ""

    @property
    def correctable(self) -> bool:
        a = self.attendance
        return (
            a is not None
            and a.status == AttendanceStatus.PRESENT
            and a.checked_out_at is not None
            and self.claim is None
        )


def times_page(staff, booking_id: int) -> TimesPage:
    """What the page correcting a visit's real times shows: the visit, its attendance and
    whether the month's claim holding it is submitted. 404 outside the visit's facility."""
    booking = get_or_404(
        staff,
        Action.ATTENDANCE_RECORD,
        Booking.objects.select_related("child__household", "facility", "attendance"),
        pk=booking_id,
    )
    attendance = _one(booking, "attendance")
    record("read", booking, fields=("date", "starts_at", "ends_at"))
    if attendance is not None:
        record("read", attendance, fields=ATTENDANCE_FIELDS, subjects=[booking.child])
    return TimesPage(booking, attendance, claim_submitted_for(booking))


def correct_times(
    staff, booking_id: int, checked_in_at: dt.datetime, checked_out_at: dt.datetime, reason: str
) -> Attendance:
    """Correct a visit's real times afterwards, with a reason (audited): the billed minutes
    follow. Refused once the month's claim for the visit has been submitted."""
    reason = _clean_reason(reason)
    if not reason:
        raise ValidationError(_("Give the reason for the correction."), code="reason_required")
    with transaction.atomic():
        booking = _locked_visit(staff, booking_id)
        attendance = Attendance.objects.select_for_update().filter(booking=booking).first()
        if attendance is None or attendance.status != AttendanceStatus.PRESENT:
            raise ValidationError(
                _("Only a visit the child came to has times to correct."), code="not_present"
            )
        _refuse_when_claimed(booking)
        local = {timezone.localdate(t) for t in (checked_in_at, checked_out_at)}
        if local != {booking.date}:
            raise ValidationError(
                _("Both times must be on the day of the visit."), code="other_day"
            )
        if checked_out_at <= checked_in_at:
            raise ValidationError(
                _("The check-out must be after the check-in."), code="out_before_in"
            )
        if checked_out_at > clock.now():
            raise ValidationError(_("The check-out cannot be in the future."), code="future")
        attendance.checked_in_at = checked_in_at
        attendance.checked_out_at = checked_out_at
        attendance.billable_minutes = billable_for(
            booking, checked_in_at, checked_out_at, _child_policy(booking)
        )
        attendance.times_reason = reason
        attendance.recorded_by = staff
        attendance.marked_at = None  # a correction is not a tap to undo
        attendance.save()
        record(
            "update",
            attendance,
            fields=("checked_in_at", "checked_out_at", "billable_minutes", "times_reason"),
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
            attendance.check_out_source = ""
            attendance.save(
                update_fields=[
                    "checked_out_at",
                    "billable_minutes",
                    "marked_at",
                    "check_out_source",
                ]
            )
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


def _clean_cancel_reason(reason: str) -> str:
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
    reason = _clean_cancel_reason(reason)
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
        booking_services.cancel_by_facility(
            staff, effects.booking_ids, _clean_cancel_reason(reason)
        )
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
