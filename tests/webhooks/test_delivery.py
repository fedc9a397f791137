"""Issue 13 item 5, end to end over real HTTP: a booking's events reach a local receiver on
127.0.0.1 signed (HMAC-SHA256 over "t.body"), in order, retried after a 500 on the backoff
schedule, given up after the last attempt, and never followed through a redirect.

The relay and the delivery task are called as the worker calls them (running the worker
process itself would close the test's database connection, see tests/queued.py); the clock is
frozen and moved on to each retry's time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from tests import factories as f
from tests.booking.scene import NOW, scene
from tests.webhooks import receiver as rx
from tsuen.accounts.models import Role
from tsuen.booking import services as booking
from tsuen.core import clock
from tsuen.webhooks import delivery, services, signing
from tsuen.webhooks.models import Delivery, DeliveryStatus, Event

pytestmark = pytest.mark.django_db
T = dt.time
TEN, ELEVEN = T(10), T(11)


@pytest.fixture
def receiver():
    r = rx.start()
    yield r
    rx.stop(r)


class World:
    def __init__(self, receiver, events=("booking.created", "booking.cancelled")):
        self.s = scene()
        self.manager = f.user(Role.FACILITY_MANAGER, facility=self.s.facility)
        self.endpoint, self.secret = services.create(self.manager, receiver.url, list(events))

    def book(self, start=TEN, end=ELEVEN):
        return booking.book(self.s.user, self.s.child.pk, self.s.slot.pk, start, end)


def run_worker() -> int:
    """One round of the relay, then every delivery task it queued, as the worker runs them."""
    with TestCase.captureOnCommitCallbacks(execute=True):  # the queueing, at the relay's commit
        delivery.relay()
    sent = 0
    for task in DBTaskResult.objects.filter(task_path__endswith="deliver_endpoint_task"):
        sent += delivery.deliver_endpoint(*task.args_kwargs["args"])
        task.delete()
    return sent


def verified(receiver, secret, at: dt.datetime) -> list[dict]:
    """The events the receiver got, each checked as a receiver checks it."""
    events = []
    for request in receiver.received:
        header = request.headers["Tsuen-Signature"]
        assert signing.verify(secret, header, request.body, now=int(at.timestamp())), header
        assert request.headers["Tsuen-Event-Id"] == request.event["id"]
        assert request.headers["Content-Type"] == "application/json"
        events.append(request.event)
    return events


def test_a_booking_and_its_cancellation_arrive_signed_and_in_order(receiver):
    with clock.frozen(NOW):
        w = World(receiver)
        made = w.book()
        booking.cancel(w.s.user, made.pk)
        second = w.book(T(13), T(14))
        assert run_worker() == 3
        events = verified(receiver, w.secret, NOW)
    assert [(e["type"], e["data"]["booking_id"]) for e in events] == [
        ("booking.created", made.pk),
        ("booking.cancelled", made.pk),
        ("booking.created", second.pk),
    ]
    first = events[0]
    assert set(first) == {"id", "type", "occurred_at", "data"}
    assert first["occurred_at"] == "2026-12-01T10:00:00+09:00"  # Japan time, ISO 8601
    # Identifiers and non-sensitive fields only: no name, no birth date, no care data.
    assert set(first["data"]) == {
        "booking_id", "facility_id", "place_slot_id", "child_id", "date", "starts_at",
        "ends_at", "kind", "status",
    }  # fmt: skip
    body = receiver.received[0].body.decode()
    for personal in (w.s.child.given_name, w.s.child.family_name, str(w.s.child.birth_date)):
        assert personal not in body
    assert events[1]["data"]["status"] == "cancelled"
    assert Delivery.unscoped.filter(status=DeliveryStatus.DELIVERED).count() == 3


def test_a_wrong_secret_or_an_old_timestamp_does_not_verify(receiver):
    with clock.frozen(NOW):
        w = World(receiver)
        w.book()
        run_worker()
    request = receiver.received[0]
    header = request.headers["Tsuen-Signature"]
    at = int(NOW.timestamp())
    assert signing.verify(w.secret, header, request.body, now=at)
    assert not signing.verify("whsec_other", header, request.body, now=at)
    assert not signing.verify(w.secret, header, request.body + b" ", now=at)
    late = at + signing.TOLERANCE_SECONDS + 1
    assert not signing.verify(w.secret, header, request.body, now=late)


def test_a_500_is_retried_after_the_backoff_and_later_events_wait(receiver):
    receiver.answers = [500]
    with clock.frozen(NOW):
        w = World(receiver)
        made = w.book()
        booking.cancel(w.s.user, made.pk)
        assert run_worker() == 0
    assert len(receiver.received) == 1  # the cancellation waits behind the failed creation
    head = Delivery.unscoped.order_by("pk").first()
    assert (head.status, head.attempts, head.response_code) == ("pending", 1, 500)
    assert head.error == "HTTP 500"
    assert head.next_attempt_at == NOW + dt.timedelta(minutes=1)
    with clock.frozen(NOW + dt.timedelta(seconds=59)):
        assert run_worker() == 0  # not yet due
    assert len(receiver.received) == 1
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        assert run_worker() == 2
        verified_events = verified(receiver, w.secret, NOW + dt.timedelta(minutes=1))
    assert [e["type"] for e in verified_events] == [
        "booking.created",  # the failed attempt
        "booking.created",  # its retry: the same event id
        "booking.cancelled",
    ]
    assert verified_events[0]["id"] == verified_events[1]["id"]


def test_after_the_last_attempt_the_delivery_is_given_up_and_the_next_goes(receiver):
    receiver.answers = [503] * delivery.MAX_ATTEMPTS
    at = NOW
    with clock.frozen(at):
        w = World(receiver)
        made = w.book()
        booking.cancel(w.s.user, made.pk)
        run_worker()
    waits = []
    for _attempt in range(1, delivery.MAX_ATTEMPTS):
        head = Delivery.unscoped.order_by("pk").first()
        waits.append(head.next_attempt_at - at)
        at = head.next_attempt_at
        with clock.frozen(at):
            run_worker()
    assert waits == list(delivery.BACKOFF)
    assert sum(waits, dt.timedelta()) < dt.timedelta(days=1)
    first, second = Delivery.unscoped.order_by("pk")
    assert (first.status, first.attempts) == (DeliveryStatus.FAILED, 8)
    assert second.status == DeliveryStatus.DELIVERED  # went once the first was given up
    assert [r.event["type"] for r in receiver.received][-1] == "booking.cancelled"


def test_the_backoff_schedule():
    assert delivery.MAX_ATTEMPTS == 8
    assert [delivery.backoff(n) for n in range(1, 8)] == list(delivery.BACKOFF)
    assert delivery.backoff(8) is None
    assert dt.timedelta(hours=20) < sum(delivery.BACKOFF, dt.timedelta()) < dt.timedelta(days=1)


def test_a_redirect_is_not_followed(receiver):
    other = rx.start()
    try:
        receiver.answers = [302]
        receiver.redirect_to = other.url
        with clock.frozen(NOW):
            w = World(receiver)
            w.book()
            run_worker()
    finally:
        rx.stop(other)
    assert other.received == []
    head = Delivery.unscoped.get()
    assert (head.status, head.response_code, head.error) == ("pending", 302, "HTTP 302")


def test_replay_sends_one_event_again_at_the_end_of_the_queue(receiver):
    with clock.frozen(NOW):
        w = World(receiver)
        w.book()
        run_worker()
        first = Delivery.unscoped.get()
        services.replay(w.manager, w.endpoint.pk, first.pk)
        run_worker()
    assert len(receiver.received) == 2
    assert receiver.received[0].event == receiver.received[1].event
    again = Delivery.unscoped.order_by("pk").last()
    assert again.replay and again.status == DeliveryStatus.DELIVERED


def test_a_disabled_endpoint_gets_nothing_until_enabled(receiver):
    with clock.frozen(NOW):
        w = World(receiver)
        services.set_enabled(w.manager, w.endpoint.pk, False)
        w.book()
        run_worker()
        assert Event.unscoped.count() == 0  # the facility's flag went off with it
        services.set_enabled(w.manager, w.endpoint.pk, True)
        w.book(T(13), T(14))
        run_worker()
    assert [r.event["type"] for r in receiver.received] == ["booking.created"]


def test_one_worker_at_a_time_per_endpoint(receiver):
    """A second task for an endpoint another worker holds leaves it alone (the lease)."""
    with clock.frozen(NOW):
        w = World(receiver)
        w.book()
        delivery.relay()
        w.endpoint.refresh_from_db()
        type(w.endpoint).unscoped.filter(pk=w.endpoint.pk).update(
            lease_until=NOW + dt.timedelta(minutes=1)
        )
        assert delivery.deliver_endpoint(w.endpoint.pk) == 0
    assert receiver.received == []
    with clock.frozen(NOW + dt.timedelta(minutes=2)):
        assert delivery.deliver_endpoint(w.endpoint.pk) == 1
