"""The facility's own screens: the manager of the facility for its profile, staff, places and
closures; any staff of the facility for interviews. Everyone else: 404 (anonymous: login)."""

import datetime as dt

from tests.matrix.base import LOGIN, RELATED_FACILITY, Row, ok
from tsuen.core import clock
from tsuen.facilities.models import StaffInvitation
from tsuen.families.services import token_hash

TOKEN = "matrix-staff-invitation-token"


def extend(world):
    StaffInvitation.objects.create(
        facility=world["related_facility"],
        email="matrix.invitee@example.jp",
        role="facility_staff",
        token_hash=token_hash(TOKEN),
        invited_by=world["users"]["facility_manager"],
        expires_at=clock.now() + dt.timedelta(days=7),
    )


MANAGER = {"anonymous": LOGIN, "facility_manager": 200}
# A list of the user's own facility: the unrelated facility's staff see their own (empty) one.
ANY_STAFF = {"anonymous": LOGIN} | ok(*RELATED_FACILITY, "unrelated_facility_staff")

ROWS = {
    "facilities:staff_profile": Row(404, MANAGER),
    "facilities:staff_team": Row(404, MANAGER),
    "facilities:staff_invite": Row(404, MANAGER),
    "facilities:staff_invite_accept": Row(200, args=lambda world: [TOKEN]),
    "facilities:staff_places": Row(404, MANAGER),
    "facilities:staff_generate": Row(404, MANAGER),
    "facilities:staff_day_places": Row(404, MANAGER, args=lambda world: ["2026-12-01"]),
    "facilities:staff_closures": Row(404, MANAGER),
    "facilities:staff_interviews": Row(404, ANY_STAFF),
    "facilities:staff_interview_decide": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY),
        args=lambda world: [world["requested_interview"].pk],
    ),
}
