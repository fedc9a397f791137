"""Issue 13: the API and its clients' screens.

The API answers people's sessions as it answers anyone without a token: the public operations
and the documents to everyone, every client operation 401 (a session is no credential). A
ward's API clients are kept by its administrator only, a facility's by its manager only;
everyone else: 404 (anonymous: login). The API's own matrix (operation x scope x other
tenant) is in tests/api/test_api_matrix.py."""

from __future__ import annotations

from tests.api.conftest import make_client
from tests.matrix.base import LOGIN, Row, arg

WARD_ADMIN = {"anonymous": LOGIN, "municipal_admin": 200}
MANAGER = {"anonymous": LOGIN, "facility_manager": 200}


def extend(world):
    world["ward_api_client"], _ = make_client(
        world["users"]["municipal_admin"], ["ward.facilities.read"], name="区の基幹システム"
    )
    world["facility_api_client"], _ = make_client(
        world["users"]["facility_manager"], ["facility.bookings.read"], name="園の業務システム"
    )


ROWS = {
    "api:docs": Row(200),
    "api:apiv1:api-root": Row(404),  # ninja's root: the docs are at api:docs
    "api:apiv1:openapi-json": Row(200),
    "api:apiv1:public_facilities": Row(200),
    "api:apiv1:client_me": Row(401),
    # A facility system's operations (issue 13 item 1): no token, 401 for everyone.
    "api:apiv1:facility_bookings": Row(401),
    "api:apiv1:facility_check_in": Row(401, method="post", args=arg("booking")),
    "api:apiv1:facility_check_out": Row(401, method="post", args=arg("booking")),
    "api:apiv1:facility_no_show": Row(401, method="post", args=arg("booking")),
    "api:apiv1:facility_daily_record": Row(401, args=arg("booking")),
    "api:apiv1:facility_daily_record_write": Row(401, method="put", args=arg("booking")),
    "api:apiv1:facility_places": Row(401),
    "api:apiv1:facility_place": Row(401, args=lambda world: [world["booking"].place_slot_id]),
    "api:apiv1:facility_place_capacity": Row(
        401, method="put", args=lambda world: [world["booking"].place_slot_id]
    ),
    "api:apiv1:facility_claims": Row(401),
    "api:ward:clients": Row(404, WARD_ADMIN),
    "api:ward:client_new": Row(404, WARD_ADMIN),
    "api:ward:client_rotate": Row(404, WARD_ADMIN, args=arg("ward_api_client")),
    "api:ward:client_revoke": Row(404, WARD_ADMIN, args=arg("ward_api_client")),
    "api:facility:clients": Row(404, MANAGER),
    "api:facility:client_new": Row(404, MANAGER),
    "api:facility:client_rotate": Row(404, MANAGER, args=arg("facility_api_client")),
    "api:facility:client_revoke": Row(404, MANAGER, args=arg("facility_api_client")),
}
