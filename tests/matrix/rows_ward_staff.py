"""Issue 9 item 8: the ward runs its own staff accounts and network ranges; the national
operator starts a new ward (its first ranges and administrator).

Only ward A's administrator reaches ward A's staff pages (another ward's reviewer, the ward's
other roles, facilities and families: 404); a facility's staff are never "the ward's staff".
The link of an invitation is open to whoever holds it, as a facility's is."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tests.matrix.base import LOGIN, Row, arg
from tsuen.accounts.models import Role, WardInvitation
from tsuen.core import clock
from tsuen.core.tokens import token_hash
from tsuen.municipalities.models import StaffNetwork

TOKEN = "matrix-ward-invitation-token-0123456789abcdef"
ADMIN = {"anonymous": LOGIN, "municipal_admin": 200}
ADMIN_ACTS = {"anonymous": LOGIN, "municipal_admin": 302}
OPERATOR = {"anonymous": LOGIN, "national_operator": 200}
OPERATOR_ACTS = {"anonymous": LOGIN, "national_operator": 302}


def extend(world):
    ward, admin = world["ward"], world["users"]["municipal_admin"]
    world["ward_member"] = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    world["leaving_member"] = f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward)
    world["other_ward_member"] = f.user(Role.MUNICIPAL_REVIEWER, municipality=world["other_ward"])
    for key, email, token in (
        ("ward_invitation", "matrix.ward.invitee@example.jp", TOKEN),
        ("withdrawn_invitation", "matrix.ward.withdrawn@example.jp", TOKEN + "-withdrawn"),
    ):
        world[key] = WardInvitation.objects.create(
            municipality=ward,
            email=email,
            role=Role.MUNICIPAL_REVIEWER,
            token_hash=token_hash(token),
            invited_by=admin,
            expires_at=clock.now() + dt.timedelta(days=7),
        )
    # The test client's address is 127.0.0.1: keep it inside ward A's ranges.
    StaffNetwork.objects.get_or_create(municipality=ward, cidr="127.0.0.1/32")
    world["ward_network"] = StaffNetwork.objects.create(
        municipality=ward, cidr="192.0.2.0/24", note="本庁舎"
    )
    world["new_ward"] = f.municipality(name="新市")


def _token(world):
    return [TOKEN]


ROWS = {
    "municipalities:staff": Row(404, ADMIN),
    "municipalities:staff_invite": Row(404, ADMIN),
    "municipalities:staff_invite@post": Row(
        404,
        ADMIN_ACTS,
        method="post",
        data=lambda w: {"email": "matrix.new.staff@example.jp", "role": "municipal_payments"},
    ),
    "municipalities:staff_member": Row(404, ADMIN, args=arg("ward_member")),
    # Another ward's staff and a facility's staff are not the ward's: 404 even to its admin.
    "municipalities:staff_member@other_ward": Row(
        404, {"anonymous": LOGIN}, args=arg("other_ward_member")
    ),
    "municipalities:staff_member@facility_staff": Row(
        404, {"anonymous": LOGIN}, args=lambda w: [w["users"]["facility_staff"].pk]
    ),
    "municipalities:staff_role@post": Row(
        404,
        ADMIN_ACTS,
        args=arg("ward_member"),
        method="post",
        data=lambda w: {"role": "auditor"},
    ),
    "municipalities:staff_active@post": Row(
        404,
        ADMIN_ACTS,
        args=arg("leaving_member"),
        method="post",
        data=lambda w: {"active": "0"},
    ),
    "municipalities:staff_active@other_ward": Row(
        404,
        {"anonymous": LOGIN},
        args=arg("other_ward_member"),
        method="post",
        data=lambda w: {"active": "0"},
    ),
    "municipalities:staff_invitation_withdraw@post": Row(
        404, ADMIN_ACTS, args=arg("withdrawn_invitation"), method="post"
    ),
    # The email's link: the page (no personal data beyond the address it was sent to) for
    # whoever holds it; posting a password makes the account and leads to the login.
    "municipalities:staff_invite_accept": Row(200, args=_token),
    "municipalities:staff_invite_accept@post": Row(
        302,
        args=_token,
        method="post",
        data=lambda w: {"full_name": "行列 太郎", "password": "a-long-matrix-passphrase"},
    ),
    "municipalities:networks": Row(404, ADMIN),
    "municipalities:networks@post": Row(
        404,
        ADMIN_ACTS,
        method="post",
        data=lambda w: {"cidr": "198.51.100.0/24", "note": "分庁舎"},
    ),
    "municipalities:network_remove": Row(404, ADMIN, args=arg("ward_network")),
    "municipalities:network_remove@post": Row(
        404, ADMIN_ACTS, args=arg("ward_network"), method="post"
    ),
    # Issue 10: the ward's letterhead and branding, its administrator only (the reviewer,
    # payments officer and auditor of the ward: 404). The preview writes nothing either.
    "municipalities:settings": Row(404, ADMIN),
    "municipalities:settings@post": Row(
        404,
        ADMIN_ACTS,
        method="post",
        data=lambda w: {
            "head_title": "行列区長",
            "office_department": "子ども家庭部",
            "office_address": "東京都行列区1-1",
            "office_phone": "03-0000-0000",
            "service_name": "行列区 こども通園",
            "western_years": "0",
        },
    ),
    # The national operator: a ward's first ranges and first administrator.
    "national:municipality_access": Row(404, OPERATOR, args=arg("new_ward")),
    "national:municipality_network@post": Row(
        404,
        OPERATOR_ACTS,
        args=arg("new_ward"),
        method="post",
        data=lambda w: {"cidr": "203.0.113.0/24", "note": "LGWAN"},
    ),
    "national:municipality_administrator@post": Row(
        404,
        OPERATOR_ACTS,
        args=arg("new_ward"),
        method="post",
        data=lambda w: {"email": "matrix.first.admin@example.jp"},
    ),
}
