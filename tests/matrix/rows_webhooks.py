"""Issue 13 item 5: the webhook screens. A facility's manager runs the facility's endpoints on
/facilities/staff/webhooks/, the ward's administrator the ward's own on /municipality/webhooks/.
Everyone else -- the facility's other staff, the ward's other roles, another facility, another
ward, families, the national operator -- gets 404; an endpoint of the other kind, or of another
ward, is 404 even to them."""

from __future__ import annotations

from tests.matrix.base import LOGIN, Row
from tsuen.core import clock
from tsuen.webhooks.models import Delivery, Endpoint, Event, EventType

URL = "https://127.0.0.1:9/hook"  # loopback: allowed in tests (WEBHOOK_ALLOW_LOOPBACK)


def _endpoint(ward, facility, events):
    endpoint = Endpoint.unscoped.create(
        municipality=ward, facility=facility, url=URL, events=events,
        signing_secret="whsec_matrix", created_at=clock.now(), label="行列",
    )  # fmt: skip
    event = Event.unscoped.create(
        type=events[0], municipality=ward, facility=facility, occurred_at=clock.now(),
        data={"facility_id": facility.pk if facility else None}, fanned_out_at=clock.now(),
    )  # fmt: skip
    delivery = Delivery.unscoped.create(
        endpoint=endpoint, event=event, next_attempt_at=clock.now(), attempts=1,
        response_code=500, error="HTTP 500",
    )  # fmt: skip
    return endpoint, delivery


def extend(world):
    ward, other = world["ward"], world["other_ward"]
    world["facility_endpoint"], world["facility_delivery"] = _endpoint(
        ward, world["related_facility"], [EventType.BOOKING_CREATED]
    )
    world["ward_endpoint"], world["ward_delivery"] = _endpoint(
        ward, None, [EventType.CERTIFICATION_CHANGED]
    )
    world["other_ward_endpoint"], _ = _endpoint(other, None, [EventType.CLAIM_STATUS_CHANGED])


def _rows(kind: str, actor: str, own: str, foreign: tuple[str, ...]) -> dict[str, Row]:
    def arg(key):
        return lambda w: [w[key].pk]

    def form(w):
        return {"url": URL, "label": "連携", "events": ["booking.created"]}

    def ward_form(w):
        return {"url": URL, "label": "連携", "events": ["certification.changed"]}

    data = form if kind == "facility" else ward_form
    read = {"anonymous": LOGIN, actor: 200}
    act = {"anonymous": LOGIN, actor: 302}
    refused = {"anonymous": LOGIN, actor: 400}  # no confirmation token: asks first
    delivery = own.replace("endpoint", "delivery")
    rows = {
        f"webhooks:{kind}_index": Row(404, read),
        f"webhooks:{kind}_index@post": Row(404, read, method="post", data=data),
        f"webhooks:{kind}_endpoint": Row(404, read, args=arg(own)),
        f"webhooks:{kind}_endpoint@post": Row(404, act, args=arg(own), method="post", data=data),
        f"webhooks:{kind}_rotate": Row(404, read, args=arg(own)),
        f"webhooks:{kind}_rotate@post": Row(404, refused, args=arg(own), method="post"),
        f"webhooks:{kind}_delete": Row(404, read, args=arg(own)),
        f"webhooks:{kind}_delete@post": Row(404, refused, args=arg(own), method="post"),
        f"webhooks:{kind}_replay@post": Row(
            404, act, args=lambda w: [w[own].pk, w[delivery].pk], method="post"
        ),
        # Last: the rows run in order on one world per actor, and a disabled endpoint refuses
        # a replay.
        f"webhooks:{kind}_toggle@post": Row(
            404, act, args=arg(own), method="post", data=lambda w: {"enabled": "0"}
        ),
    }
    for key in foreign:
        rows[f"webhooks:{kind}_endpoint@{key}"] = Row(404, {"anonymous": LOGIN}, args=arg(key))
        rows[f"webhooks:{kind}_delete@{key}"] = Row(
            404, {"anonymous": LOGIN}, args=arg(key), method="post"
        )
    return rows


_FACILITY_FOREIGN = ("ward_endpoint", "other_ward_endpoint")
_WARD_FOREIGN = ("facility_endpoint", "other_ward_endpoint")
ROWS = {
    **_rows("facility", "facility_manager", "facility_endpoint", _FACILITY_FOREIGN),
    **_rows("ward", "municipal_admin", "ward_endpoint", _WARD_FOREIGN),
}
