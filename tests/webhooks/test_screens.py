"""Issue 13 item 5: the webhook screens over HTTP (Django's test client). The facility's
manager and the ward's administrator register an endpoint and see its secret once; changing
the secret and deleting ask first; disabling and deleting turn the facility's flag off again;
every write is audited; bad input answers 400 with the reason and writes nothing."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event

pytestmark = pytest.mark.django_db
URL = "https://127.0.0.1:9/hook"


@pytest.fixture
def manager(client):
    ward = f.municipality()
    facility = f.facility(ward)
    user = f.user(Role.FACILITY_MANAGER, facility=facility)
    f.second_factor(user)
    login_with_second_factor(client, user)
    return user


def secret_on(page: str) -> str | None:
    found = re.search(r'data-testid="secret">(whsec_[\w-]+)<', page)
    return found and found.group(1)


def test_the_manager_registers_and_sees_the_secret_once(client, manager):
    index = reverse("webhooks:facility_index")
    response = client.post(
        index, {"url": URL, "label": "園のシステム", "events": ["booking.created"]}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    secret = secret_on(response.content.decode())
    endpoint = Endpoint.unscoped.get()
    assert endpoint.signing_secret == secret and endpoint.facility_id == manager.facility_id
    manager.facility.refresh_from_db()
    assert manager.facility.webhooks_enabled
    assert secret not in client.get(index).content.decode()
    page = client.get(reverse("webhooks:facility_endpoint", args=[endpoint.pk])).content.decode()
    assert secret not in page and "園のシステム" in page
    assert AuditEvent.objects.filter(
        action="create", object_type="webhooks.endpoint", object_id=str(endpoint.pk)
    ).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "http://203.0.113.9/hook", "events": ["booking.created"]}, "https://"),
        ({"url": "https://10.0.0.1/hook", "events": ["booking.created"]}, "10.0.0.1"),
        ({"url": URL, "events": []}, ""),
        ({"url": URL, "events": ["certification.changed"]}, ""),  # a ward's event
    ],
)
def test_bad_input_answers_400_and_writes_nothing(client, manager, data, message):
    response = client.post(reverse("webhooks:facility_index"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Endpoint.unscoped.exists()


def test_rotating_asks_first_and_shows_the_new_secret_once(client, manager):
    client.post(reverse("webhooks:facility_index"), {"url": URL, "events": ["booking.created"]})
    endpoint = Endpoint.unscoped.get()
    old = endpoint.signing_secret
    url = reverse("webhooks:facility_rotate", args=[endpoint.pk])
    ask = client.get(url)
    assert ask.status_code == 200
    token = re.search(r'name="confirm" value="(\w+)"', ask.content.decode()).group(1)
    assert client.post(url).status_code == 400  # not confirmed
    endpoint.refresh_from_db()
    assert endpoint.signing_secret == old
    done = client.post(url, {"confirm": token})
    new = secret_on(done.content.decode())
    endpoint.refresh_from_db()
    assert new and new != old and endpoint.signing_secret == new
    assert client.post(url, {"confirm": token}).status_code == 400  # the effects changed


def test_disable_enable_and_delete(client, manager):
    client.post(reverse("webhooks:facility_index"), {"url": URL, "events": ["booking.created"]})
    endpoint = Endpoint.unscoped.get()
    toggle = reverse("webhooks:facility_toggle", args=[endpoint.pk])
    assert client.post(toggle, {"enabled": "0"}).status_code == 302
    manager.facility.refresh_from_db()
    assert not manager.facility.webhooks_enabled
    assert client.post(toggle, {"enabled": "0"}).status_code == 400  # already disabled
    assert client.post(toggle, {"enabled": "1"}).status_code == 302
    manager.facility.refresh_from_db()
    assert manager.facility.webhooks_enabled
    delete = reverse("webhooks:facility_delete", args=[endpoint.pk])
    ask = client.get(delete)
    token = re.search(r'name="confirm" value="(\w+)"', ask.content.decode()).group(1)
    assert client.post(delete).status_code == 400
    assert client.post(delete, {"confirm": token}).status_code == 302
    assert not Endpoint.unscoped.exists()
    manager.facility.refresh_from_db()
    assert not manager.facility.webhooks_enabled
    assert AuditEvent.objects.filter(action="delete", object_type="webhooks.endpoint").exists()


def test_the_ward_administrator_runs_the_wards_own_endpoints(client):
    ward = f.municipality()
    facility = f.facility(ward)
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    login_with_second_factor(client, admin)
    response = client.post(
        reverse("webhooks:ward_index"), {"url": URL, "events": ["certification.changed"]}
    )
    assert response.status_code == 200 and secret_on(response.content.decode())
    endpoint = Endpoint.unscoped.get()
    assert endpoint.facility_id is None and endpoint.municipality_id == ward.pk
    facility.refresh_from_db()
    assert not facility.webhooks_enabled  # no booking event chosen
    # A facility's event is not the ward's to choose.
    bad = client.post(
        reverse("webhooks:ward_index"), {"url": URL, "events": ["attendance.checked_in"]}
    )
    assert bad.status_code == 400


def test_the_log_shows_each_delivery_and_replays_one(client, manager):
    client.post(reverse("webhooks:facility_index"), {"url": URL, "events": ["booking.created"]})
    endpoint = Endpoint.unscoped.get()
    event = Event.unscoped.create(
        type="booking.created", municipality_id=manager.facility.municipality_id,
        facility=manager.facility, occurred_at=clock.now(), data={"booking_id": 1},
        fanned_out_at=clock.now(),
    )  # fmt: skip
    failed = Delivery.unscoped.create(
        endpoint=endpoint, event=event, next_attempt_at=clock.now(), attempts=8,
        status=DeliveryStatus.FAILED, response_code=500, error="HTTP 500",
    )  # fmt: skip
    page = client.get(reverse("webhooks:facility_endpoint", args=[endpoint.pk])).content.decode()
    assert "HTTP 500" in page and str(event.uid) in page
    replay = reverse("webhooks:facility_replay", args=[endpoint.pk, failed.pk])
    assert client.post(replay).status_code == 302
    again = Delivery.unscoped.order_by("pk").last()
    assert again.replay and again.event_id == event.pk and again.status == DeliveryStatus.PENDING


def test_the_purge_command_deletes_old_finished_deliveries_only(manager):
    import datetime as dt

    now = clock.now()
    endpoint = Endpoint.unscoped.create(
        municipality_id=manager.facility.municipality_id, facility=manager.facility, url=URL,
        events=["booking.created"], signing_secret="whsec_x", created_at=now,
    )  # fmt: skip
    old = now - dt.timedelta(days=40)

    def made(status, at):
        event = Event.unscoped.create(
            type="booking.created", municipality_id=endpoint.municipality_id,
            facility=manager.facility, occurred_at=at, data={}, fanned_out_at=at,
        )  # fmt: skip
        return Delivery.unscoped.create(
            endpoint=endpoint, event=event, status=status, next_attempt_at=at, last_attempt_at=at
        )

    gone = made(DeliveryStatus.DELIVERED, old)
    waiting = made(DeliveryStatus.PENDING, old)
    recent = made(DeliveryStatus.DELIVERED, now)
    call_command("purge_webhook_deliveries", "--days", "30")
    assert set(Delivery.unscoped.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not Event.unscoped.filter(pk=gone.event_id).exists()
