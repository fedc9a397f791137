"""Bookings (予約): a child's place in a facility's slot on a date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core import clock
from tsuen.core.tenancy import TenantModel
from tsuen.privacy.fields import EncryptedJSONField, EncryptedTextField


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


# --- The waitlist (キャンセル待ち) -------------------------------------------------------------


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Place offered")
    ACCEPTED = "accepted", _("Accepted")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Statuses in which an entry still stands in the queue (a child waits once per slot).
LIVE_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(TenantModel):
    """A child waiting for a place in a full slot. A freed place is offered to the first
    waiting entry (by ``created_at``) for a limited time; see tsuen.booking.waitlist."""

    TENANT_PATHS = ("place_slot__facility__municipality", "child__household__municipality")

    place_slot = models.ForeignKey(
        "facilities.PlaceSlot", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["place_slot", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["place_slot", "child"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_child_waits_once_per_slot",
            ),
            models.CheckConstraint(
                name="waitlist_times_ordered",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            ),
            models.CheckConstraint(
                name="waitlist_offer_has_expiry",
                condition=~models.Q(status="offered")
                | models.Q(offered_at__isnull=False, offer_expires_at__isnull=False),
            ),
        ]


# --- Regular use (定期利用) requests ------------------------------------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class RegularUseStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ALLOCATED = "allocated", _("Allocated")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RegularUseRequest(TenantModel):
    """A family's request for a fixed weekday and time over a period; the facility allocates
    (or refuses) it. See tsuen.booking.regular."""

    TENANT_PATHS = ("facility__municipality", "child__household__municipality")

    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, related_name="regular_use_requests"
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="regular_use_requests"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    period_from = models.DateField(_("first day"))
    period_to = models.DateField(_("last day"))
    # Free text from the family, which may mention health: encrypted (S) like interview notes.
    note = EncryptedTextField(_("note to the facility"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RegularUseStatus.choices,
        default=RegularUseStatus.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The facility's answer, kept so the result page can be reopened: each date of the period,
    # booked or left out with the reasons (tsuen.booking.regular_staff). Encrypted: the reasons
    # tell of the child's hours against the caps.
    outcome = EncryptedJSONField(default=list, null=False, blank=True)
    # Why the facility declined the request, shown to the family. Free text: encrypted (S).
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True, default="")

    @property
    def outcome_days(self) -> list[dict]:
        """The stored outcome with its dates as dates (for the pages)."""
        import datetime as dt

        return [o | {"day": dt.date.fromisoformat(o["day"])} for o in self.outcome or []]

    class Meta:
        verbose_name = _("regular use request")
        verbose_name_plural = _("regular use requests")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="regular_times_ordered",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            ),
            models.CheckConstraint(
                name="regular_period_ordered",
                condition=models.Q(period_to__gte=models.F("period_from")),
            ),
            models.CheckConstraint(
                name="regular_weekday_0_to_6", condition=models.Q(weekday__lte=6)
            ),
            # A double-submitted form asks once.
            models.UniqueConstraint(
                fields=["child", "facility", "weekday", "starts_at", "period_from"],
                condition=models.Q(status="requested"),
                name="regular_request_once",
            ),
        ]
