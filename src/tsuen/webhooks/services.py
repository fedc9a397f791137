"""Webhook endpoints as their owners manage them (issue 13 item 5).

A facility's manager runs the facility's endpoints; a ward's administrator runs the ward's own
(``Action.WEBHOOK_VIEW`` / ``WEBHOOK_MANAGE``: anyone else gets 404). Every write is audited in
its transaction and keeps the facilities' ``webhooks_enabled`` flags in step (:func:`sync_flags`).
Rotating the secret and deleting an endpoint ask first (``core.confirm``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from tsuen.audit import record
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.core import clock, confirm
from tsuen.facilities.models import Facility
from tsuen.webhooks import signing, transport
from tsuen.webhooks.models import (
    FACILITY_EVENTS,
    FLAGGED_EVENTS,
    WARD_EVENTS,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Event,
    EventType,
)

#: Endpoints one facility or ward may have.
MAX_ENDPOINTS = 5
#: Delivery-log rows shown on the screen.
LOG_ROWS = 50
#: What ``purge_webhook_deliveries`` keeps by default (days).
DEFAULT_KEEP_DAYS = 30
ENDPOINT_FIELDS = ("url", "label", "events", "enabled")


class WebhookRefused(ValidationError):
    """A refused step, with the reason in the user's words."""


def _owner(user) -> tuple[int, int | None]:
    """(municipality id, facility id or None) of the endpoints ``user`` registers; 404 for
    anyone who may not manage any."""
    require(user, Action.WEBHOOK_MANAGE, Endpoint)
    if user.facility_id:
        facility = Facility.unscoped.only("municipality_id").get(pk=user.facility_id)
        return facility.municipality_id, facility.pk
    return user.municipality_id, None


def event_choices(user) -> list[tuple[str, str]]:
    """The events ``user``'s kind of endpoint may choose."""
    _municipality, facility = _owner(user)
    allowed = FACILITY_EVENTS if facility else WARD_EVENTS
    return [(e.value, f"{e.value}: {e.label}") for e in allowed]


def endpoints_for(user) -> list[Endpoint]:
    require(user, Action.WEBHOOK_VIEW, Endpoint)
    return list(filter_allowed(user, Action.WEBHOOK_VIEW, Endpoint.objects).order_by("pk"))


def endpoint_for(user, endpoint_id: int, action: Action = Action.WEBHOOK_VIEW) -> Endpoint:
    return get_or_404(user, action, Endpoint.objects, pk=endpoint_id)


def _clean_events(user, events) -> list[str]:
    allowed = {value for value, _label in event_choices(user)}
    chosen = sorted(set(events or ()))
    if not chosen:
        raise WebhookRefused(_("Choose at least one event."), code="no_events")
    if not set(chosen) <= allowed:
        raise WebhookRefused(_("Choose events from the list."), code="bad_event")
    return chosen


def sync_flags(municipality_id: int) -> None:
    """Set ``Facility.webhooks_enabled`` for every facility of the ward: on where an enabled
    endpoint of the facility, or of the ward itself, chose a booking or attendance event."""
    wanted = [
        e
        for e in Endpoint.unscoped.filter(municipality_id=municipality_id, enabled=True)
        if set(e.events) & FLAGGED_EVENTS
    ]
    facilities = Facility.unscoped.filter(municipality_id=municipality_id)
    if any(e.facility_id is None for e in wanted):
        facilities.exclude(webhooks_enabled=True).update(webhooks_enabled=True)
        return
    on = {e.facility_id for e in wanted}
    facilities.filter(pk__in=on).exclude(webhooks_enabled=True).update(webhooks_enabled=True)
    facilities.exclude(pk__in=on).exclude(webhooks_enabled=False).update(webhooks_enabled=False)


def create(user, url: str, events, label: str = "") -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once)."""
    municipality_id, facility_id = _owner(user)
    chosen = _clean_events(user, events)
    transport.check_url(url)
    secret = signing.new_secret()
    with transaction.atomic():
        mine = Endpoint.unscoped.filter(municipality_id=municipality_id, facility_id=facility_id)
        if mine.count() >= MAX_ENDPOINTS:
            raise WebhookRefused(
                _("At most %(count)d endpoints can be registered.") % {"count": MAX_ENDPOINTS},
                code="too_many",
            )
        endpoint = Endpoint.unscoped.create(
            municipality_id=municipality_id,
            facility_id=facility_id,
            url=url,
            label=label.strip(),
            events=chosen,
            signing_secret=secret,
            created_at=clock.now(),
            created_by=user,
        )
        record("create", endpoint, fields=(*ENDPOINT_FIELDS, "signing_secret"))
        sync_flags(municipality_id)
    return endpoint, secret


def update(user, endpoint_id: int, url: str, events, label: str = "") -> Endpoint:
    chosen = _clean_events(user, events)
    transport.check_url(url)
    with transaction.atomic():
        endpoint = _locked(user, endpoint_id)
        endpoint.url, endpoint.events, endpoint.label = url, chosen, label.strip()
        endpoint.save(update_fields=["url", "events", "label"])
        record("update", endpoint, fields=("url", "events", "label"))
        sync_flags(endpoint.municipality_id)
    return endpoint


def _locked(user, endpoint_id: int) -> Endpoint:
    return get_or_404(
        user,
        Action.WEBHOOK_MANAGE,
        Endpoint.objects.select_for_update(of=("self",)),
        pk=endpoint_id,
    )


def set_enabled(user, endpoint_id: int, enabled: bool) -> Endpoint:
    """Disable (nothing is sent; waiting deliveries wait) or enable again."""
    with transaction.atomic():
        endpoint = _locked(user, endpoint_id)
        if endpoint.enabled == enabled:
            raise WebhookRefused(
                _("The endpoint is already enabled.")
                if enabled
                else _("The endpoint is already disabled."),
                code="unchanged",
            )
        endpoint.enabled = enabled
        endpoint.save(update_fields=["enabled"])
        record("update", endpoint, fields=("enabled",))
        sync_flags(endpoint.municipality_id)
    return endpoint


@dataclass(frozen=True)
class Effects:
    endpoint: Endpoint
    waiting: int  # deliveries not yet sent
    token: str


def rotate_effects(user, endpoint_id: int) -> Effects:
    """What rotating does: the old secret stops signing at once."""
    endpoint = endpoint_for(user, endpoint_id, Action.WEBHOOK_MANAGE)
    waiting = _waiting(endpoint)
    rotated = endpoint.secret_rotated_at.isoformat() if endpoint.secret_rotated_at else ""
    return Effects(endpoint, waiting, confirm.token("rotate", endpoint.pk, rotated))


def rotate(user, endpoint_id: int, *, confirm_token: str | None) -> tuple[Endpoint, str]:
    """A new signing secret (returned, shown once); every later request is signed with it."""
    with transaction.atomic():
        effects = rotate_effects(user, endpoint_id)
        confirm.require(confirm_token, effects.token)
        endpoint = _locked(user, endpoint_id)
        secret = signing.new_secret()
        endpoint.signing_secret = secret
        endpoint.secret_rotated_at = clock.now()
        endpoint.save(update_fields=["signing_secret", "secret_rotated_at"])
        record("update", endpoint, fields=("signing_secret", "secret_rotated_at"))
    return endpoint, secret


def _waiting(endpoint: Endpoint) -> int:
    return Delivery.unscoped.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).count()


def delete_effects(user, endpoint_id: int) -> Effects:
    """What deleting does: the waiting deliveries are never sent, the log goes."""
    endpoint = endpoint_for(user, endpoint_id, Action.WEBHOOK_MANAGE)
    waiting = _waiting(endpoint)
    return Effects(endpoint, waiting, confirm.token("delete", endpoint.pk, waiting))


def delete(user, endpoint_id: int, *, confirm_token: str | None) -> None:
    with transaction.atomic():
        effects = delete_effects(user, endpoint_id)
        confirm.require(confirm_token, effects.token)
        endpoint = _locked(user, endpoint_id)
        municipality_id = endpoint.municipality_id
        record("delete", endpoint, fields=ENDPOINT_FIELDS)
        endpoint.delete()
        sync_flags(municipality_id)


def log_for(user, endpoint_id: int) -> tuple[Endpoint, list[Delivery]]:
    """The endpoint and its latest deliveries, newest first."""
    endpoint = endpoint_for(user, endpoint_id)
    rows = list(
        filter_allowed(user, Action.WEBHOOK_VIEW, Delivery.objects)
        .filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-pk")[:LOG_ROWS]
    )
    return endpoint, rows


def replay(user, endpoint_id: int, delivery_id: int) -> Delivery:
    """Send one event again: a new delivery at the end of the endpoint's queue."""
    from tsuen.webhooks.tasks import relay_webhooks_task

    with transaction.atomic():
        endpoint = _locked(user, endpoint_id)
        old = (
            filter_allowed(user, Action.WEBHOOK_MANAGE, Delivery.objects)
            .filter(endpoint=endpoint, pk=delivery_id)
            .first()
        )
        if old is None:
            raise Http404
        if not endpoint.enabled:
            raise WebhookRefused(_("The endpoint is disabled: enable it first."), code="disabled")
        again = Delivery.unscoped.create(
            endpoint=endpoint, event_id=old.event_id, next_attempt_at=clock.now(), replay=True
        )
        record("create", again, fields=("replay",), municipality_id=endpoint.municipality_id)
        transaction.on_commit(relay_webhooks_task.enqueue)
    return again


def purge_deliveries(days: int = DEFAULT_KEEP_DAYS) -> tuple[int, int]:
    """Delete finished deliveries older than ``days`` and the events left without any."""
    from tsuen.core import tenancy

    cutoff = clock.now() - dt.timedelta(days=days)
    with tenancy.cross_tenant("purge of the webhook delivery log"), transaction.atomic():
        finished = Q(status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED])
        old = Delivery.unscoped.filter(finished).filter(
            Q(last_attempt_at__lt=cutoff)
            | Q(last_attempt_at__isnull=True, next_attempt_at__lt=cutoff)
        )
        deliveries, _ = old.delete()
        events, _ = (
            Event.unscoped.filter(occurred_at__lt=cutoff, fanned_out_at__isnull=False)
            .filter(deliveries__isnull=True)
            .delete()
        )
    return deliveries, events


def event_label(value: str) -> str:
    try:
        return str(EventType(value).label)
    except ValueError:
        return value
