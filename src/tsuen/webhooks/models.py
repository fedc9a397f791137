"""Signed webhooks (issue 13 item 5): the endpoints facility and ward systems register, the
outbox of events written in the same transaction as the change, and the delivery log.

An :class:`Event` is the transactional outbox row: the service that changes something writes
it in its own transaction (``tsuen.webhooks.outbox.emit``), so a rolled-back change leaves no
event and a committed one cannot lose it. The relay (``tsuen.webhooks.relay``) fans each new
event out to the endpoints that want it (one :class:`Delivery` each, in the order it sees the
events) and hands the endpoints with deliveries due to the task worker, which sends them one
at a time, in order, with retries and backoff. See docs/webhooks.md."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel
from tsuen.privacy.fields import EncryptedTextField


class EventType(models.TextChoices):
    BOOKING_CREATED = "booking.created", _("A booking was made")
    BOOKING_CANCELLED = "booking.cancelled", _("A booking was cancelled")
    CHECKED_IN = "attendance.checked_in", _("A child was checked in")
    CHECKED_OUT = "attendance.checked_out", _("A child was checked out")
    CERTIFICATION_CHANGED = "certification.changed", _("A certification changed")
    CLAIM_STATUS_CHANGED = "claim.status_changed", _("A claim's status changed")


#: The events a facility's endpoint may choose: its own bookings, visits and claims.
FACILITY_EVENTS = (
    EventType.BOOKING_CREATED,
    EventType.BOOKING_CANCELLED,
    EventType.CHECKED_IN,
    EventType.CHECKED_OUT,
    EventType.CLAIM_STATUS_CHANGED,
)
#: The events a ward's endpoint may choose: the bookings at the ward's facilities (its use
#: figures), its certifications and the claims it pays. Not the check-ins: a visit's times
#: reach the ward with the claim.
WARD_EVENTS = (
    EventType.BOOKING_CREATED,
    EventType.BOOKING_CANCELLED,
    EventType.CERTIFICATION_CHANGED,
    EventType.CLAIM_STATUS_CHANGED,
)
#: The events of the booking and the facility's day, written only while the facility's
#: ``webhooks_enabled`` flag is on (read with the facility row the service already loaded).
FLAGGED_EVENTS = frozenset(
    {
        EventType.BOOKING_CREATED,
        EventType.BOOKING_CANCELLED,
        EventType.CHECKED_IN,
        EventType.CHECKED_OUT,
    }
)


class Endpoint(TenantModel):
    """A URL of a facility's or a ward's system that receives the events it chose."""

    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    #: The facility whose endpoint this is; empty for the ward's own endpoint.
    facility = models.ForeignKey(
        "facilities.Facility",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    label = models.CharField(_("label"), max_length=100, blank=True)
    events = models.JSONField(_("events"), default=list)
    #: The signing key, kept encrypted (the receiver verifies with the same key, so it cannot
    #: be hashed); shown once when made or rotated.
    signing_secret = EncryptedTextField(_("signing secret"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    #: The relay handed the endpoint to the task worker at this time (not again while recent).
    queued_at = models.DateTimeField(null=True, blank=True)
    #: A worker is sending the endpoint's deliveries until then (one at a time, in order).
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label or self.url


class Event(TenantModel):
    """The outbox: one event, written in the transaction of the change it reports. ``data``
    holds identifiers and non-sensitive fields only (never a name, a birth date, care data or
    a fee class): the receiver calls the API for the rest."""

    TENANT_PATHS = ("municipality", "facility__municipality")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    #: The ward whose endpoints may receive it (a claim: the paying ward).
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    #: The facility whose endpoints may receive it (none for a certification).
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    #: When the relay made its deliveries (empty: not yet seen by the relay).
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["id"],
                name="webhook_event_waiting",
                condition=models.Q(fanned_out_at__isnull=True),
            )
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class Delivery(TenantModel):
    """One event for one endpoint, and the outcome of its last attempt (the delivery log).
    An endpoint's deliveries are sent in the order of their ids."""

    TENANT_PATHS = ("endpoint__municipality",)

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    #: Sent again from the delivery log (the replay button).
    replay = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["endpoint", "status", "id"], name="webhook_delivery_queue"),
        ]
