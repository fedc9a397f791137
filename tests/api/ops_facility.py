"""The API authorization matrix's rows for the facility operations (tests/api/test_api_matrix.py).

Each row names an operation as the served document does (``METHOD path``) and how to call it
on the scene's own objects and on the other tenant's: path parameters name a scene attribute
(``booking`` means ``scene.booking``, and ``scene.other_booking`` for the other tenant); a list
names the attribute whose other-tenant object must not be listed."""

from tests.api.conftest import VISIT_DAY
from tests.api.matrix import Op

DAY = VISIT_DAY.isoformat()

OPS = {
    "GET /api/v1/facility/bookings": Op(query={"date": DAY}, listed="booking"),
    "POST /api/v1/facility/bookings/{booking_id}/check-in": Op(params={"booking_id": "booking"}),
    "POST /api/v1/facility/bookings/{booking_id}/check-out": Op(params={"booking_id": "booking"}),
    "POST /api/v1/facility/bookings/{booking_id}/no-show": Op(params={"booking_id": "booking"}),
    "GET /api/v1/facility/bookings/{booking_id}/daily-record": Op(params={"booking_id": "booking"}),
    "PUT /api/v1/facility/bookings/{booking_id}/daily-record": Op(
        params={"booking_id": "booking"}, body={"notes": "元気でした"}, if_match=True
    ),
    "GET /api/v1/facility/places": Op(query={"from": DAY, "to": DAY}, listed="slot"),
    "GET /api/v1/facility/places/{slot_id}": Op(params={"slot_id": "slot"}),
    "PUT /api/v1/facility/places/{slot_id}/capacity": Op(
        params={"slot_id": "slot"}, body={"capacity": 4}, if_match=True
    ),
    "GET /api/v1/facility/claims": Op(query={"year": 2026, "month": 11}, listed="claim"),
}
