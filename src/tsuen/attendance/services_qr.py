"""QR check-in, as the national system does it (issue 13 item 4; docs/qr-check-in.md).

The facility's tablet shows a QR code that changes every minute: a plain URL,
``/visits/qr/<facility id>/<minute>.<mac>/``, where ``minute`` counts minutes since the epoch
and ``mac`` is an HMAC-SHA256 (key derived from ``SECRET_KEY`` with the purpose string
:data:`PURPOSE`) over the facility and the minute. A logged-in guardian (or a proxy user with a
live grant) scans it with the phone's camera, sees the children's visits of the day at that
facility and confirms a check-in, or a check-out once the child is in. The confirmation goes
through the same locking core as the staff's tap (``services_staff.check_in_locked`` /
``check_out_locked``), recorded with ``TapSource.QR``; staff see it on the day screen and can
undo it there.

Refused, with the reason in the user's words and nothing written: a forged or malformed code, a
code older than its minute and :data:`SCAN_GRACE_MINUTES` (photographed and used later), a
confirmation later than :data:`CONFIRM_MINUTES` after the code's minute, a code of another
facility than the visit's (used elsewhere), no visit today at that facility, a cancelled
visit, a visit of another day, a child already checked out or marked as not come, and times
the staff must explain (a check-in after the booked end, outside the opening hours...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from tsuen.attendance.models import Attendance, AttendanceStatus, TapSource
from tsuen.attendance.services_staff import ReasonNeeded, check_in_locked, check_out_locked
from tsuen.audit import record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking.models import Booking, BookingStatus
from tsuen.core import clock
from tsuen.facilities.models import Facility

#: The purpose string the code's HMAC key is derived with (``salted_hmac``): a MAC made for
#: another purpose with the same ``SECRET_KEY`` is never a valid code.
PURPOSE = "tsuen.attendance.qr_check_in.v1"
#: Hex digits of the MAC in the code (128 bits).
MAC_LENGTH = 32
#: A code is accepted when scanned in its own minute or the next ``SCAN_GRACE_MINUTES``.
SCAN_GRACE_MINUTES = 2
#: The confirmation (the second step) must be sent within this many minutes of the code's
#: minute: time to read the page and press the button, not to come back later.
CONFIRM_MINUTES = 5
#: What the scan page shows of a visit.
BOOKING_FIELDS = ("date", "starts_at", "ends_at")
ATTENDANCE_FIELDS = ("status", "checked_in_at", "checked_out_at")

_CODE = re.compile(rf"^([0-9]{{1,12}})\.([0-9a-f]{{{MAC_LENGTH}}})$")


# --- the code ---------------------------------------------------------------------------------


def minute_of(at: dt.datetime) -> int:
    """The code's minute: whole minutes since the epoch."""
    return int(at.timestamp()) // 60


def mac(facility_id: int, minute: int) -> str:
    return salted_hmac(PURPOSE, f"{facility_id}:{minute}", algorithm="sha256").hexdigest()[
        :MAC_LENGTH
    ]


def code_for(facility_id: int, minute: int) -> str:
    """The code part of the URL: ``<minute>.<mac>``."""
    return f"{minute}.{mac(facility_id, minute)}"


def path_for(facility_id: int, minute: int) -> str:
    return reverse("attendance:qr_scan", args=[facility_id, code_for(facility_id, minute)])


def verify(facility_id: int, code: str, now: dt.datetime, window: int) -> int:
    """The code's minute, when ``code`` is this facility's and at most ``window`` minutes old
    at ``now``; else ``ValidationError`` (``forged`` or ``expired``)."""
    found = _CODE.match(code or "")
    if found is None or not constant_time_compare(
        found.group(2), mac(facility_id, int(found.group(1)))
    ):
        raise ValidationError(
            _(
                "This is not a check-in code of tsuen. Scan the QR code shown on the "
                "facility's tablet."
            ),
            code="forged",
        )
    minute = int(found.group(1))
    current = minute_of(now)
    # A code of a minute to come was never shown (one minute of leeway between servers).
    if minute > current + 1 or current - minute > window:
        raise ValidationError(
            _(
                "This code is no longer valid: the code on the facility's tablet changes every "
                "minute. Scan it again at the facility."
            ),
            code="expired",
        )
    return minute


def qr_svg(url: str, title: str) -> str:
    """The QR code of ``url`` as inline SVG (no size: the page's CSS sizes it)."""
    return segno.make(url, error="m", micro=False).svg_inline(
        border=4, omitsize=True, title=title, svgclass="qr-code", lineclass="qr-line"
    )


# --- the tablet -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TabletCode:
    facility: Facility
    url: str
    svg: str
    minute: int
    #: Seconds until the code changes (the page's countdown starts there).
    seconds_left: int
    #: The code's minute as a time (local), for the clock on the screen.
    shown_at: dt.datetime


def tablet_code(staff) -> TabletCode:
    """The code the facility's tablet shows now: staff of a facility who may see its day
    (``Action.FACILITY_DAY_VIEW``). No personal data: the facility's name and the code, a
    URL on ``settings.SITE_URL`` (the address the phones reach)."""
    require(staff, Action.FACILITY_DAY_VIEW, Booking)
    if not staff.is_facility or not staff.facility_id:
        raise Http404
    facility = get_or_404(staff, Action.FACILITY_VIEW, Facility.objects.all(), pk=staff.facility_id)
    now = clock.now()
    minute = minute_of(now)
    url = settings.SITE_URL + path_for(facility.pk, minute)
    seconds_left = 60 - int(now.timestamp()) % 60
    svg = qr_svg(url, _("Check-in code of %(facility)s") % {"facility": facility.name})
    shown_at = timezone.localtime(dt.datetime.fromtimestamp(minute * 60, tz=dt.UTC))
    return TabletCode(facility, url, svg, minute, seconds_left, shown_at)


# --- the phone --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanVisit:
    booking: Booking
    attendance: Attendance | None

    @property
    def child(self):
        return self.booking.child

    @property
    def next_action(self) -> str:
        """``check_in``, ``check_out``, or ``""`` when nothing is left to confirm."""
        a = self.attendance
        if a is None:
            return "check_in"
        if a.status == AttendanceStatus.PRESENT and a.checked_out_at is None:
            return "check_out"
        return ""

    @property
    def state(self) -> str:
        a = self.attendance
        if a is None:
            return "expected"
        if a.status == AttendanceStatus.NO_SHOW:
            return "no_show"
        return "left" if a.checked_out_at else "present"


@dataclass(frozen=True)
class ScanPage:
    facility: Facility
    code: str
    visits: list[ScanVisit]


def _visits_today(user, now: dt.datetime):
    return (
        filter_allowed(user, Action.ATTENDANCE_SELF_CHECK, Booking.objects.all())
        .filter(date=timezone.localdate(now))
        .select_related("child", "facility", "attendance")
        .order_by("starts_at", "child__pk")
    )


def _attendance(booking: Booking) -> Attendance | None:
    try:
        return booking.attendance
    except Attendance.DoesNotExist:
        return None


def scan_page(user, facility_id: int, code: str) -> ScanPage:
    """What the phone shows after scanning: the user's children's visits today at the code's
    facility, each with what is left to confirm. Refuses (``ValidationError``) a forged or
    expired code, and a code of a facility where none of the children has a visit today
    (saying where the visit is, or that it was cancelled). 404 for users who check no one in."""
    require(user, Action.ATTENDANCE_SELF_CHECK, Booking)
    now = clock.now()
    verify(facility_id, code, now, SCAN_GRACE_MINUTES)
    facility = get_or_404(user, Action.FACILITY_VIEW, Facility.objects.all(), pk=facility_id)
    today = list(_visits_today(user, now))
    record_many("list", today, fields=BOOKING_FIELDS)
    here = [
        b for b in today if b.facility_id == facility.pk and b.status == BookingStatus.CONFIRMED
    ]
    if not here:
        _refuse_no_visit_here(facility, today)
    visits = [ScanVisit(b, _attendance(b)) for b in here]
    attendances = [v.attendance for v in visits if v.attendance is not None]
    record_many("read", attendances, fields=ATTENDANCE_FIELDS, subjects=lambda a: [a.booking.child])
    return ScanPage(facility, code, visits)


def _refuse_no_visit_here(facility: Facility, today: list[Booking]) -> None:
    cancelled = [b for b in today if b.facility_id == facility.pk]
    if cancelled:
        raise ValidationError(
            _("The visit of %(child)s today at %(facility)s has been cancelled.")
            % {"child": cancelled[0].child.full_name, "facility": facility.name},
            code="cancelled",
        )
    elsewhere = [b for b in today if b.status == BookingStatus.CONFIRMED]
    if elsewhere:
        raise ValidationError(
            _(
                "This code is of %(facility)s, but the visit of %(child)s today is at "
                "%(other)s. Scan the code at the facility of the visit."
            )
            % {
                "facility": facility.name,
                "child": elsewhere[0].child.full_name,
                "other": elsewhere[0].facility.name,
            },
            code="elsewhere",
        )
    raise ValidationError(
        _("None of your children has a visit booked today at %(facility)s.")
        % {"facility": facility.name},
        code="no_visit",
    )


def self_check(user, facility_id: int, code: str, booking_id: int, action: str) -> Attendance:
    """The guardian confirms the check-in (``action="check_in"``) or check-out
    (``"check_out"``) of one visit with the code scanned at ``facility_id``. In one
    transaction: the code is verified (at most :data:`CONFIRM_MINUTES` old), the booking is
    authorized (``Action.ATTENDANCE_SELF_CHECK``, 404 outside reach) and locked, checked to
    be at the code's facility and still booked, and handed to the staff's locking core with
    ``TapSource.QR`` (same refusals, same audit, same events). Unusual times are left to the
    staff, who must give a reason for them."""
    if action not in ("check_in", "check_out"):
        raise ValidationError(_("Choose what to confirm."), code="action")
    require(user, Action.ATTENDANCE_SELF_CHECK, Booking)
    now = clock.now()
    seen: list[Booking] = []
    try:
        with transaction.atomic():
            return _self_check_locked(user, facility_id, code, booking_id, action, now, seen)
    except ValidationError:
        # The refusal names the child (its visit was read): audited, though nothing is written.
        record_many("read", seen, fields=BOOKING_FIELDS)
        raise


def _self_check_locked(user, facility_id, code, booking_id, action, now, seen) -> Attendance:
    verify(facility_id, code, now, CONFIRM_MINUTES)
    booking = get_or_404(
        user,
        Action.ATTENDANCE_SELF_CHECK,
        Booking.objects.select_for_update(of=("self",)).select_related(
            "child__household", "facility"
        ),
        pk=booking_id,
    )
    seen.append(booking)
    if booking.facility_id != facility_id:
        raise ValidationError(
            _(
                "This code was used elsewhere: the visit of %(child)s is at %(facility)s. "
                "Scan the code at the facility of the visit."
            )
            % {"child": booking.child.full_name, "facility": booking.facility.name},
            code="elsewhere",
        )
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(_("This visit is not booked any more."), code="not_booked")
    core = check_in_locked if action == "check_in" else check_out_locked
    try:
        return core(user, booking, now, "", TapSource.QR)
    except ReasonNeeded as needed:
        raise ValidationError(
            [
                *needed.warnings,
                _("The staff record these times with a reason: please tell them."),
            ],
            code="ask_staff",
        ) from None


# --- the day screen follows -------------------------------------------------------------------


def day_version(staff, day: dt.date | None = None) -> str:
    """A fingerprint of the day's visits and attendance at the staff member's facility, which
    the day screen polls (``attendance/day_poll.js``) to reload itself when a family checked
    in by QR or a colleague tapped on another tablet. A hash: it tells nothing of anyone (no
    audit); the reload that follows reads and audits the day as usual."""
    require(staff, Action.FACILITY_DAY_VIEW, Booking)
    if not staff.is_facility or not staff.facility_id:
        raise Http404
    rows = (
        filter_allowed(staff, Action.FACILITY_DAY_VIEW, Booking.objects.all())
        .filter(date=day or clock.today(), status=BookingStatus.CONFIRMED)
        .values_list(
            "pk",
            "attendance__status",
            "attendance__checked_in_at",
            "attendance__checked_out_at",
            "attendance__marked_at",
        )
    )
    return fingerprint(rows)


def fingerprint_of_page(page) -> str:
    """:func:`day_version` of a day screen already read (``services_staff.DayPage``), without
    another query: the same bookings (confirmed, that day, the facility's), the same fields."""
    rows = []
    for slot in page.slots:
        for visit in slot.visits:
            a = visit.attendance
            if a is None:
                rows.append((visit.booking.pk, None, None, None, None))
            else:
                rows.append(
                    (visit.booking.pk, a.status, a.checked_in_at, a.checked_out_at, a.marked_at)
                )
    return fingerprint(rows)


def fingerprint(rows) -> str:
    """A short hash of (booking id, attendance status, check-in, check-out, last tap) rows."""

    def plain(value):
        return value.timestamp() if isinstance(value, dt.datetime) else value

    normal = sorted(tuple(plain(v) for v in row) for row in rows)
    return hashlib.sha256(repr(normal).encode()).hexdigest()[:16]
