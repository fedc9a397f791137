"""Writing events into the outbox, inside the transaction of the change (issue 13 item 5).

The services call the ``*_event`` helpers below right after they write (and audit) the change,
inside their own ``transaction.atomic()``: the event row commits or rolls back with the change.
Nothing is sent from here; the relay and the task worker deliver after the commit.

The booking and the facility's day (the hot paths) ask no question of the database: the event
is written only when the facility row they already loaded has ``webhooks_enabled`` (kept in
step by :func:`tsuen.webhooks.services.sync_flags`). Certifications and claims, which change a
few times a month, ask whether any enabled endpoint could want the event (one query).

A body carries identifiers and non-sensitive fields only: ids, dates, statuses. Never a name,
a birth date, a fee class or care data: the receiver calls the API for the rest."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tsuen.core import clock
from tsuen.webhooks.models import FLAGGED_EVENTS, Endpoint, Event, EventType


class OutsideTransaction(RuntimeError):
    """An event was emitted outside a transaction: it could outlive a rolled-back change."""


def _write(type_: EventType, municipality_id: int, facility_id: int | None, data: dict) -> None:
    if not connection.in_atomic_block:
        raise OutsideTransaction(f"emit {type_} inside the change's transaction.atomic()")
    Event.unscoped.create(
        type=type_,
        municipality_id=municipality_id,
        facility_id=facility_id,
        occurred_at=clock.now(),
        data=data,
    )


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _wanted(municipality_id: int, facility_id: int | None) -> bool:
    """Whether an enabled endpoint of the facility, or the ward's own, exists."""
    mine = Q(facility__isnull=True, municipality_id=municipality_id)
    if facility_id is not None:
        mine |= Q(facility_id=facility_id)
    return Endpoint.unscoped.filter(mine, enabled=True).exists()


# --- bookings and the facility's day (flagged: no query) ---------------------------------------


def booking_event(type_: EventType, booking, facility) -> None:
    """``booking.created`` or ``booking.cancelled``; ``facility``: the booking's facility row
    as the caller loaded it (its flag is read, nothing is queried)."""
    if type_ not in FLAGGED_EVENTS:
        raise ValueError(type_)
    if not facility.webhooks_enabled:
        return
    _write(
        type_,
        facility.municipality_id,
        facility.pk,
        {
            "booking_id": booking.pk,
            "facility_id": facility.pk,
            "place_slot_id": booking.place_slot_id,
            "child_id": booking.child_id,
            "date": _iso(booking.date),
            "starts_at": _iso(booking.starts_at),
            "ends_at": _iso(booking.ends_at),
            "kind": booking.kind,
            "status": booking.status,
        },
    )


def attendance_event(type_: EventType, attendance, booking) -> None:
    """``attendance.checked_in`` or ``attendance.checked_out`` (``booking.facility`` loaded)."""
    if type_ not in (EventType.CHECKED_IN, EventType.CHECKED_OUT):
        raise ValueError(type_)
    facility = booking.facility
    if not facility.webhooks_enabled:
        return
    _write(
        type_,
        facility.municipality_id,
        facility.pk,
        {
            "booking_id": booking.pk,
            "attendance_id": attendance.pk,
            "facility_id": facility.pk,
            "date": _iso(booking.date),
            "checked_in_at": _iso(attendance.checked_in_at),
            "checked_out_at": _iso(attendance.checked_out_at),
        },
    )


# --- certifications and claims (a query: they change a few times a month) ---------------------


def certification_event(certification, change: str) -> None:
    """``certification.changed`` to the ward's endpoints. ``change``: ``issued``, ``ended``,
    ``validity_changed`` or ``fee_class_changed`` (the fee class itself is never sent)."""
    if not _wanted(certification.municipality_id, None):
        return
    _write(
        EventType.CERTIFICATION_CHANGED,
        certification.municipality_id,
        None,
        {
            "certification_id": certification.pk,
            "child_id": certification.child_id,
            "change": change,
            "status": certification.status,
            "valid_from": _iso(certification.valid_from),
            "valid_to": _iso(certification.valid_to),
        },
    )


def claim_event(claim) -> None:
    """``claim.status_changed`` to the claim's facility and the paying ward."""
    if not _wanted(claim.paying_municipality_id, claim.facility_id):
        return
    _write(
        EventType.CLAIM_STATUS_CHANGED,
        claim.paying_municipality_id,
        claim.facility_id,
        {
            "claim_id": claim.pk,
            "facility_id": claim.facility_id,
            "paying_municipality_id": claim.paying_municipality_id,
            "year": claim.year,
            "month": claim.month,
            "version": claim.version,
            "status": claim.status,
        },
    )
