"""The visit as the family and the facility share it: the guardian's morning note (登園時の連絡)
and the facility's daily record (連絡帳).

Every path authorizes through ``tsuen.authz.policy`` first (out of reach: 404), enforces its
rules here rather than only in a form (a refusal raises ``ValidationError`` with a message in the
user's language and changes nothing), and leaves an audit event naming fields, never values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.attendance.models import (
    Attendance,
    AttendanceStatus,
    DailyRecord,
    MorningNote,
    RecordStatus,
)
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking.models import Booking, BookingStatus
from tsuen.consent.services import require_consent
from tsuen.core import clock

#: The morning note opens at this time on the evening before the visit (the default
#: cancellation deadline: once the visit is sure to happen, the family may write).
NOTE_OPENS_EVENING_BEFORE = dt.time(17, 0)
TEMPERATURE_MIN = Decimal("35.0")
TEMPERATURE_MAX = Decimal("42.0")
HEALTH_MAX_LENGTH = 500
PICKUP_MAX_LENGTH = 100

NOTE_FIELDS = ("health", "temperature", "pickup_person")
RECORD_FIELDS = ("meals", "nap", "mood", "toileting", "temperature", "notes")
#: What a page about a visit shows of the booking itself (the child's name comes with it).
BOOKING_FIELDS = ("date", "starts_at", "ends_at")


# --- shared checks --------------------------------------------------------------------------


def clean_temperature(value, *, required: bool) -> Decimal | None:
    """A body temperature in °C with one decimal, 35.0 to 42.0."""
    if value in (None, ""):
        if required:
            raise ValidationError(_("Enter the temperature."), code="temperature_required")
        return None
    try:
        value = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(
            _("Enter the temperature as a number, for example 36.5."), code="temperature_invalid"
        ) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.1")):
        raise ValidationError(
            _("Enter the temperature with one decimal, for example 36.5."),
            code="temperature_invalid",
        )
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise ValidationError(
            _("Enter a temperature between 35.0 and 42.0 °C."), code="temperature_out_of_range"
        )
    return value.quantize(Decimal("0.1"))


def _attendance(booking: Booking) -> Attendance | None:
    try:
        return booking.attendance
    except Attendance.DoesNotExist:
        return None


# --- the morning note -------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteWindow:
    """Whether the family may write the morning note now, and if not, why."""

    open: bool
    reason: str = ""


def note_window(booking: Booking, now: dt.datetime | None = None) -> NoteWindow:
    """The morning note is open from the evening before the visit until the child is checked
    in (or marked as not come) on the day."""
    now = timezone.localtime(now or clock.now())
    if booking.status != BookingStatus.CONFIRMED:
        return NoteWindow(False, _("This visit is not booked any more."))
    attendance = _attendance(booking)
    if attendance is not None and attendance.status == AttendanceStatus.NO_SHOW:
        return NoteWindow(False, _("The facility has marked this visit as not attended."))
    if attendance is not None:
        return NoteWindow(
            False,
            _("The facility has already checked the child in: please tell the staff directly."),
        )
    today = now.date()
    if booking.date < today:
        return NoteWindow(False, _("This visit is over."))
    opens = timezone.make_aware(
        dt.datetime.combine(booking.date - dt.timedelta(days=1), NOTE_OPENS_EVENING_BEFORE)
    )
    if now < opens:
        return NoteWindow(
            False,
            _("You can write the morning note from %(time)s on the day before the visit.")
            % {"time": NOTE_OPENS_EVENING_BEFORE.strftime("%H:%M")},
        )
    return NoteWindow(True)


def _visit_queryset() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "child", "facility", "attendance", "morning_note", "daily_record"
    )


@dataclass(frozen=True)
class NotePage:
    booking: Booking
    note: MorningNote | None
    window: NoteWindow
    pickup_persons: list[str]


def note_page(user, booking_id: int) -> NotePage:
    """What the family's morning-note page shows: the visit, the note so far, whether it can
    still be written, and the child's usual pickup persons."""
    booking = get_or_404(user, Action.MORNING_NOTE_WRITE, _visit_queryset(), pk=booking_id)
    note = getattr(booking, "morning_note", None)
    record("read", booking, fields=BOOKING_FIELDS)
    if note is not None:
        record("read", note, fields=NOTE_FIELDS, subjects=[booking.child])
    return NotePage(booking, note, note_window(booking), list(booking.child.pickup_persons or []))


def write_morning_note(
    user, booking_id: int, *, health: str, temperature, pickup_person: str
) -> MorningNote:
    """Write or correct the morning note of a visit (登園時の連絡).

    The family (guardian or proxy) writes it from the evening before the visit until the child
    is checked in. ``temperature`` is °C with one decimal, 35.0 to 42.0."""
    health = (health or "").strip()
    pickup_person = " ".join((pickup_person or "").split())
    errors: dict[str, list[ValidationError]] = {}
    if not health:
        errors["health"] = [
            ValidationError(_("Tell the facility how the child is today."), code="required")
        ]
    elif len(health) > HEALTH_MAX_LENGTH:
        errors["health"] = [
            ValidationError(
                _("Keep it to %(max)d characters.") % {"max": HEALTH_MAX_LENGTH}, code="too_long"
            )
        ]
    try:
        temperature = clean_temperature(temperature, required=True)
    except ValidationError as error:
        errors["temperature"] = [error]
    if not pickup_person:
        errors["pickup_person"] = [
            ValidationError(_("Tell the facility who picks the child up."), code="required")
        ]
    elif len(pickup_person) > PICKUP_MAX_LENGTH:
        errors["pickup_person"] = [
            ValidationError(
                _("Keep it to %(max)d characters.") % {"max": PICKUP_MAX_LENGTH}, code="too_long"
            )
        ]
    with transaction.atomic():
        booking = get_or_404(
            user,
            Action.MORNING_NOTE_WRITE,
            Booking.objects.select_for_update().select_related("child"),
            pk=booking_id,
        )
        window = note_window(booking)
        if not window.open:
            raise ValidationError(window.reason, code="closed")
        if errors:
            raise ValidationError(errors)
        # The day's health is sensitive (illness): saved only with the household's consent to
        # the purpose notice (tsuen.consent, issue 12 item 3).
        require_consent(booking.child.household_id)
        note, created = MorningNote.objects.update_or_create(
            booking=booking,
            defaults=dict(health=health, temperature=temperature, pickup_person=pickup_person),
        )
        record(
            "create" if created else "update", note, fields=NOTE_FIELDS, subjects=[booking.child]
        )
    return note


def morning_note_for(staff, booking_id: int) -> MorningNote | None:
    """The morning note of a visit, for the facility of the visit (or the family); ``None`` when
    the family has not written one. 404 when the visit is out of the user's reach."""
    booking = get_or_404(
        staff,
        Action.MORNING_NOTE_VIEW,
        Booking.objects.select_related("child", "morning_note"),
        pk=booking_id,
    )
    note = getattr(booking, "morning_note", None)
    if note is not None:
        record("read", note, fields=NOTE_FIELDS, subjects=[booking.child])
    return note


# --- the daily record -------------------------------------------------------------------------


def write_daily_record(
    staff,
    booking_id: int,
    *,
    meals: str = "",
    nap: str = "",
    mood: str = "",
    toileting: str = "",
    temperature=None,
    notes: str = "",
    publish: bool,
) -> DailyRecord:
    """Write or correct the daily record (連絡帳) of a visit, as staff of its facility.

    A draft (``publish=False``) stays with the facility; publishing shows it to the family. A
    published record may be corrected but not taken back into draft (the family may have read
    it). The visit must be booked and its day begun."""
    fields = {"meals": meals, "nap": nap, "mood": mood, "toileting": toileting}
    fields = {name: (value or "").strip() for name, value in fields.items()}
    errors: dict[str, list[ValidationError]] = {}
    for name in ("nap", "mood", "toileting"):
        if len(fields[name]) > 100:
            errors[name] = [
                ValidationError(_("Keep it to %(max)d characters.") % {"max": 100}, code="too_long")
            ]
    try:
        temperature = clean_temperature(temperature, required=False)
    except ValidationError as error:
        errors["temperature"] = [error]
    with transaction.atomic():
        booking = get_or_404(
            staff,
            Action.DAILY_RECORD_WRITE,
            Booking.objects.select_for_update().select_related("child"),
            pk=booking_id,
        )
        if booking.status != BookingStatus.CONFIRMED:
            raise ValidationError(_("This visit is not booked any more."), code="not_booked")
        if booking.date > clock.today():
            raise ValidationError(
                _("The daily record can be written from the day of the visit."), code="too_early"
            )
        if Attendance.objects.filter(booking=booking, status=AttendanceStatus.NO_SHOW).exists():
            raise ValidationError(
                _("%(child)s did not come to this visit: there is no day to record.")
                % {"child": booking.child.full_name},
                code="no_show",
            )
        if errors:
            raise ValidationError(errors)
        notes = (notes or "").strip()
        if publish and not any(fields.values()) and temperature is None and not notes:
            raise ValidationError(
                _("An empty record cannot be published: write at least one line for the family."),
                code="empty",
            )
        existing = DailyRecord.objects.filter(booking=booking).first()
        if existing and existing.status == RecordStatus.PUBLISHED and not publish:
            raise ValidationError(
                _("This record has been published to the family and cannot go back to draft."),
                code="already_published",
            )
        daily = existing or DailyRecord(booking=booking)
        for name, value in fields.items():
            setattr(daily, name, value)
        daily.temperature = temperature
        daily.notes = notes
        daily.written_by = staff
        if publish and daily.status != RecordStatus.PUBLISHED:
            daily.status = RecordStatus.PUBLISHED
            daily.published_at = clock.now()
        daily.save()
        record(
            "update" if existing else "create",
            daily,
            fields=[*RECORD_FIELDS, "status"],
            subjects=[booking.child],
        )
    return daily


def daily_record_for(user, booking_id: int) -> DailyRecord:
    """The daily record of a visit: the family sees it once published (a draft answers 404),
    the facility of the visit always."""
    daily = get_or_404(
        user,
        Action.DAILY_RECORD_VIEW,
        DailyRecord.objects.select_related("booking__child", "booking__facility"),
        booking_id=booking_id,
    )
    record("read", daily, fields=RECORD_FIELDS, subjects=[daily.booking.child])
    return daily


# --- the family's visits ----------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    booking: Booking
    note: MorningNote | None
    daily_record: DailyRecord | None  # published records only
    can_write_note: bool


def child_of_visit(row) -> list:
    """The child a morning note or daily record is about (its booking's child, loaded)."""
    return [row.booking.child]


def visits_for(user, *, limit: int = 100) -> list[Visit]:
    """The family's booked visits, the coming ones first then the past, with their morning
    notes and published daily records. 404 for users who have no visits to list."""
    require(user, Action.VISIT_LIST, Booking)
    today = clock.today()
    published = filter_allowed(user, Action.DAILY_RECORD_VIEW, DailyRecord.objects.all())
    bookings = list(
        filter_allowed(user, Action.VISIT_LIST, Booking.objects.all())
        .filter(status=BookingStatus.CONFIRMED)
        .select_related("child", "facility", "attendance", "morning_note")
        .prefetch_related(Prefetch("daily_record", queryset=published))
        .order_by("-date", "-starts_at")[:limit]
    )
    # The prefetch caches each visit's published record, or None (drafts are filtered out).
    coming = sorted((b for b in bookings if b.date >= today), key=lambda b: b.starts_at)
    past = [b for b in bookings if b.date < today]
    visits = []
    for booking in coming + past:
        note = getattr(booking, "morning_note", None)
        daily = _cached_record(booking)
        visits.append(Visit(booking, note, daily, note_window(booking).open))
    record_many("list", [v.booking for v in visits], fields=BOOKING_FIELDS)
    notes = [v.note for v in visits if v.note]
    records = [v.daily_record for v in visits if v.daily_record]
    record_many("read", notes, fields=NOTE_FIELDS, subjects=child_of_visit)
    record_many("read", records, fields=RECORD_FIELDS, subjects=child_of_visit)
    return visits


def _cached_record(booking: Booking) -> DailyRecord | None:
    try:
        return booking.daily_record
    except DailyRecord.DoesNotExist:
        return None
