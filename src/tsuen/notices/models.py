"""What the notices app keeps: calendar feeds behind secret URLs, and which reminders went out."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class CalendarFeed(TenantModel):
    """The iCal feed of one child's bookings, reached by a secret URL.

    Only the SHA-256 of the URL's token is stored: the token itself is shown to the family once,
    when the feed is made or reset. The token carries 256 random bits, so an unsalted hash is
    enough to make a stolen database row useless for reaching the feed."""

    TENANT_PATHS = ("child__household__municipality",)

    child = models.OneToOneField(
        "families.Child", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("made"))
    reset_at = models.DateTimeField(_("last reset"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")


class ReminderSent(TenantModel):
    """That a reminder of ``kind`` went out for a booking: the reminder job's memory, so that a
    second run (or a second worker) never sends it twice."""

    TENANT_PATHS = ("booking__facility__municipality", "booking__child__household__municipality")

    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.CASCADE, related_name="reminders_sent"
    )
    kind = models.CharField(
        max_length=40
    )  # a Notice value; no choices, so new kinds need no migration
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="one_reminder_per_kind")
        ]
