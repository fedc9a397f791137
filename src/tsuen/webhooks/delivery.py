"""From the outbox to the receivers: the relay and the per-endpoint delivery (issue 13 item 5).

:func:`relay` (``manage.py relay_webhooks --loop 2`` beside the task worker, or the task
``relay_webhooks_task``) does two things, both cheap when there is nothing to do:

1. it fans each committed, not yet seen event out to the enabled endpoints that chose its type
   and may receive it (the facility's, and the ward's own), one :class:`Delivery` each, in the
   order of the events' ids, under a lock on those events, so two relays never interleave;
2. it hands every endpoint whose oldest waiting delivery is due to the task worker
   (:func:`deliver_endpoint` as the task ``deliver_endpoint_task``), once.

:func:`deliver_endpoint` sends an endpoint's waiting deliveries one at a time, oldest first,
while they succeed. A failure keeps the delivery at the head of the endpoint's queue with its
next attempt after the backoff (:data:`BACKOFF`), so event n+1 is never delivered before event
n is delivered or given up (after :data:`MAX_ATTEMPTS`). A lease on the endpoint row keeps a
second worker away while one sends (no transaction is held open across a request)."""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from tsuen.core import clock, tenancy
from tsuen.webhooks import signing, transport
from tsuen.webhooks.models import (
    FACILITY_EVENTS,
    WARD_EVENTS,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Event,
)

#: Waits after each failed attempt: 8 attempts over about 22 hours (1 min, 5 min, 15 min,
#: 1 h, 3 h, 6 h, 12 h), then the delivery is given up.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=3),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: How long a worker may hold an endpoint (longer than a request's timeouts several times).
LEASE = dt.timedelta(minutes=2)
#: An endpoint handed to the worker is not handed again for this long (a lost task is retried).
REQUEUE_AFTER = dt.timedelta(minutes=10)
#: Deliveries sent in one run of the task before it yields to the others.
PER_RUN = 100
DEFAULT_BATCH_SIZE = 500

SIGNATURE_HEADER = "Tsuen-Signature"
EVENT_ID_HEADER = "Tsuen-Event-Id"
EVENT_TYPE_HEADER = "Tsuen-Event-Type"


def receives(endpoint: Endpoint, event: Event) -> bool:
    """Whether ``endpoint`` gets ``event``: it chose the type, the type is one its kind may
    choose, it existed when the event occurred, and the event is its facility's (a facility's
    endpoint) or its ward's (the ward's own endpoint)."""
    if event.type not in endpoint.events or endpoint.created_at > event.occurred_at:
        return False
    if endpoint.facility_id is not None:
        return event.type in FACILITY_EVENTS and event.facility_id == endpoint.facility_id
    return event.type in WARD_EVENTS and event.municipality_id == endpoint.municipality_id


def backoff(attempts: int) -> dt.timedelta | None:
    """The wait after the ``attempts``-th failed attempt, or None: given up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[attempts - 1]


def body_of(event: Event) -> bytes:
    """The request body: the event's id, type, time and its identifiers, as compact JSON."""
    payload = {
        "id": str(event.uid),
        "type": event.type,
        "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the relay -----------------------------------------------------------------------------------


def fan_out(*, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Make the deliveries of up to ``batch_size`` events the relay has not seen; return how
    many events it handled."""
    now = clock.now()
    with transaction.atomic():
        events = list(
            Event.unscoped.select_for_update()
            .filter(fanned_out_at__isnull=True)
            .order_by("pk")[:batch_size]
        )
        if not events:
            return 0
        endpoints = list(Endpoint.unscoped.filter(enabled=True).order_by("pk"))
        Delivery.unscoped.bulk_create(
            Delivery(endpoint=endpoint, event=event, next_attempt_at=now)
            for event in events
            for endpoint in endpoints
            if receives(endpoint, event)
        )
        Event.unscoped.filter(pk__in=[e.pk for e in events]).update(fanned_out_at=now)
    return len(events)


def due_endpoints() -> list[int]:
    """Enabled endpoints whose oldest waiting delivery is due and that no worker holds or was
    recently handed."""
    now = clock.now()
    heads = (
        Delivery.unscoped.filter(status=DeliveryStatus.PENDING, endpoint__enabled=True)
        .values("endpoint_id")
        .annotate(head=Min("pk"))
        .values_list("head", flat=True)
    )
    return sorted(
        Delivery.unscoped.filter(pk__in=list(heads), next_attempt_at__lte=now)
        .filter(
            Q(endpoint__queued_at__isnull=True) | Q(endpoint__queued_at__lt=now - REQUEUE_AFTER)
        )
        .filter(Q(endpoint__lease_until__isnull=True) | Q(endpoint__lease_until__lt=now))
        .values_list("endpoint_id", flat=True)
    )


def hand_over(endpoint_ids: list[int]) -> None:
    """Queue ``deliver_endpoint_task`` once for each endpoint (after the commit)."""
    from tsuen.webhooks.tasks import deliver_endpoint_task

    if not endpoint_ids:
        return
    with transaction.atomic():
        Endpoint.unscoped.filter(pk__in=endpoint_ids).update(queued_at=clock.now())
        for pk in endpoint_ids:
            transaction.on_commit(lambda pk=pk: deliver_endpoint_task.enqueue(pk))


def relay(*, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """One round of the relay: fan out new events, hand due endpoints to the worker. Returns
    the events and endpoints handled."""
    with tenancy.cross_tenant("webhook relay: every ward's outbox"):
        events = fan_out(batch_size=batch_size)
        endpoints = due_endpoints()
        hand_over(endpoints)
    return events + len(endpoints)


# --- the worker's side -------------------------------------------------------------------------


def _take(endpoint_id: int) -> Endpoint | None:
    """Lease the endpoint for this worker, or None when another holds it (or it is gone)."""
    now = clock.now()
    with transaction.atomic():
        endpoint = Endpoint.unscoped.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None or (endpoint.lease_until and endpoint.lease_until > now):
            return None
        endpoint.lease_until = now + LEASE
        endpoint.queued_at = None
        endpoint.save(update_fields=["lease_until", "queued_at"])
    return endpoint


def _release(endpoint_id: int) -> None:
    Endpoint.unscoped.filter(pk=endpoint_id).update(lease_until=None)


def send(endpoint: Endpoint, delivery: Delivery) -> transport.Outcome:
    """One signed POST of the delivery's event to the endpoint."""
    body = body_of(delivery.event)
    timestamp = int(clock.now().timestamp())
    headers = {
        SIGNATURE_HEADER: signing.header(endpoint.signing_secret, timestamp, body),
        EVENT_ID_HEADER: str(delivery.event.uid),
        EVENT_TYPE_HEADER: delivery.event.type,
    }
    return transport.post(endpoint.url, body, headers)


def _record(delivery: Delivery, outcome: transport.Outcome) -> None:
    now = clock.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = outcome.status
    delivery.error = outcome.error
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    else:
        wait = backoff(delivery.attempts)
        if wait is None:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + wait
    delivery.save()


def deliver_endpoint(endpoint_id: int) -> int:
    """Send the endpoint's due deliveries in order while they succeed; return how many were
    delivered. Stops at the first failure (its retry waits for the backoff), at a delivery
    not yet due, or when the endpoint was disabled or deleted."""
    delivered = 0
    with tenancy.cross_tenant("webhook delivery: one endpoint's queue"):
        endpoint = _take(endpoint_id)
        if endpoint is None:
            return 0
        try:
            for _round in range(PER_RUN):
                if not Endpoint.unscoped.filter(pk=endpoint_id, enabled=True).exists():
                    break
                head = (
                    Delivery.unscoped.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING)
                    .select_related("event")
                    .order_by("pk")
                    .first()
                )
                if head is None or head.next_attempt_at > clock.now():
                    break
                outcome = send(endpoint, head)
                _record(head, outcome)
                if outcome.ok:
                    delivered += 1
                elif head.status == DeliveryStatus.PENDING:
                    break  # retried after the backoff; the later deliveries wait behind it
                # else given up: the next delivery goes
        finally:
            _release(endpoint_id)
    return delivered
