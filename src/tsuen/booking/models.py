"""Bookings (予約): a child's place in a facility's slot on a date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class BookingKind(models.TextChoices):
    REGULAR = "regular", _("Regular use (定期利用)")
    FLEXIBLE = "flexible", _("Flexible use (柔軟利用)")


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late_cancelled", _("Cancelled after the deadline")
    CANCELLED_BY_FACILITY = "cancelled_by_facility", _("Cancelled by the facility")


#: Statuses that hold a place and block an overlapping booking of the same child.
HOLDING_STATUSES = (BookingStatus.CONFIRMED,)


class Booking(TenantModel):
    TENANT_PATHS = ("facility__municipality", "child__household__municipality")

    child = models.ForeignKey("families.Child", on_delete=models.CASCADE, related_name="bookings")
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="bookings"
    )
    place_slot = models.ForeignKey(
        "facilities.PlaceSlot", on_delete=models.PROTECT, related_name="bookings"
    )
    date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    kind = models.CharField(_("kind"), max_length=10, choices=BookingKind.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    billable_minutes = models.PositiveSmallIntegerField(_("billable minutes"))
    counts_toward_caps = models.BooleanField(default=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["child", "date"]),
            models.Index(fields=["place_slot", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="booking_times_ordered", condition=models.Q(ends_at__gt=models.F("starts_at"))
            ),
            # On PostgreSQL a GiST exclusion constraint also forbids two overlapping live
            # bookings of one child (migration 0002, PostgreSQL only).
        ]
