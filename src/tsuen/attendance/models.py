"""What happened on the day: attendance, the guardian's morning note, the daily record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel
from tsuen.privacy.fields import EncryptedTextField

BOOKING_TENANT_PATHS = (
    "booking__facility__municipality",
    "booking__child__household__municipality",
)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    NO_SHOW = "no_show", _("No-show")


class TapSource(models.TextChoices):
    """How a check-in or check-out was taken (issue 13 item 4)."""

    STAFF = "staff", _("Staff")
    QR = "qr", _("QR code")


class Attendance(TenantModel):
    TENANT_PATHS = BOOKING_TENANT_PATHS

    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(_("status"), max_length=10, choices=AttendanceStatus.choices)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    #: The visit's billed minutes (``rules.visit_billable_minutes`` over the booked and the real
    #: times), stored at check-out and at a correction for the statistics' sums. The hours page,
    #: the statement and the claim compute them again with :func:`visit_minutes`.
    billable_minutes = models.PositiveSmallIntegerField(
        _("billable minutes"), null=True, blank=True
    )
    #: Why the real times are unusual (a check-in after the booked end, a stay well beyond the
    #: booking, outside the facility's hours) or why staff corrected them: required then.
    times_reason = EncryptedTextField(_("reason for the times"), blank=True, default="")
    #: When staff last tapped (check-in, check-out or no-show): a mistaken tap can be undone
    #: for a few minutes after it.
    marked_at = models.DateTimeField(null=True, blank=True)
    #: How the check-in and the check-out were taken: by staff on the day screen, or by the
    #: guardian scanning the facility's QR code (``recorded_by`` is then the guardian).
    check_in_source = models.CharField(
        _("check-in taken by"), max_length=5, choices=TapSource.choices, default=TapSource.STAFF
    )
    check_out_source = models.CharField(
        _("check-out taken by"), max_length=5, choices=TapSource.choices, blank=True, default=""
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="check_out_after_check_in",
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_out_at__gt=models.F("checked_in_at")),
            ),
            models.CheckConstraint(
                name="present_has_check_in",
                condition=~models.Q(status="present") | models.Q(checked_in_at__isnull=False),
            ),
        ]


class MorningNote(TenantModel):
    TENANT_PATHS = BOOKING_TENANT_PATHS

    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.CASCADE, related_name="morning_note"
    )
    health = EncryptedTextField(_("health today"))
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    pickup_person = models.CharField(_("who picks up"), max_length=100, blank=True)
    written_at = models.DateTimeField(auto_now=True)


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published to the guardian")


class DailyRecord(TenantModel):
    TENANT_PATHS = BOOKING_TENANT_PATHS

    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.PROTECT, related_name="daily_record"
    )
    meals = models.TextField(_("meals"), blank=True)
    nap = models.CharField(_("nap"), max_length=100, blank=True)
    mood = models.CharField(_("mood"), max_length=100, blank=True)
    toileting = models.CharField(_("toileting"), max_length=100, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    notes = EncryptedTextField(_("notes"))
    status = models.CharField(
        _("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)


def visit_minutes(booking, policy) -> int:
    """A booking's minutes as the hours page, the caps, the family's statement and the claim
    all count them: ``rules.visit_billable_minutes`` over the booked time and, once the child
    has been checked in and out, the real times. Before that (and for a no-show or a late
    cancellation) the booked minutes. Reads ``booking.attendance`` (select it with the
    booking to keep one query)."""
    try:
        attendance = booking.attendance
    except Attendance.DoesNotExist:
        attendance = None
    if attendance is None:
        return booking.billable_minutes
    return visit_minutes_of(
        booking.starts_at,
        booking.ends_at,
        booking.billable_minutes,
        attendance.status,
        attendance.checked_in_at,
        attendance.checked_out_at,
        policy,
    )


def visit_minutes_of(
    starts_at, ends_at, billable_minutes: int, status, checked_in_at, checked_out_at, policy
) -> int:
    """:func:`visit_minutes` of plain values: the booking's times and booked minutes, its
    attendance's status and times (``None`` without an attendance)."""
    from tsuen import rules

    if status != AttendanceStatus.PRESENT or checked_out_at is None:
        return billable_minutes
    return rules.visit_billable_minutes(starts_at, ends_at, checked_in_at, checked_out_at, policy)


# --- Counting visits (on bookings), the same for the ward's dashboard and national statistics -

#: A booking the child came to.
ATTENDED = models.Q(attendance__status=AttendanceStatus.PRESENT)
#: A visit's minutes: the billed minutes of the real times once checked out, else the booked.
VISIT_MINUTES = Coalesce("attendance__billable_minutes", "billable_minutes")
