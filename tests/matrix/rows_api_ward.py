"""Issue 13: a ward system's API operations (tsuen.api.ward). A person's session is no
credential: every actor gets 401 (problem+json). Operation x scope x other ward is in
tests/api/test_ward_api.py."""

from __future__ import annotations

from tests.matrix.base import Row

ROWS = {
    "api:apiv1:ward_certification_changes": Row(401),
    "api:apiv1:ward_fee_classes": Row(401, method="post", data=lambda world: {}),
    "api:apiv1:ward_claims": Row(401),
    "api:apiv1:ward_facilities": Row(401),
}
