"""The child profile (/profile/children/...) and proxy users (/profile/proxies/...)."""

import datetime as dt
from decimal import Decimal

from tests.matrix.base import CARE_DESK, FAMILY, LOGIN, RELATED_FACILITY, Row, arg, ok
from tsuen.core import clock
from tsuen.families.models import EmergencyContact, GrowthRecord, ProxyInvitation
from tsuen.families.services import token_hash

PROXY_TOKEN = "matrix-invitation-token-0123456789abcdef"


def extend(world):
    child, household = world["own_child"], world["household"]
    world["emergency_contact"] = EmergencyContact.objects.create(
        child=child, name="試験 和子", relation="祖母", phone="090-1111-2222"
    )
    world["growth_record"] = GrowthRecord.objects.create(
        child=child,
        measured_on=dt.date(2025, 4, 10),
        height_cm=Decimal("75.0"),
        weight_kg=Decimal("9.5"),
    )
    world["proxy_grant"] = household.proxies.get()
    world["proxy_invitation"] = ProxyInvitation.objects.create(
        household=household,
        email="invited-grandparent@example.jp",
        token_hash=token_hash(PROXY_TOKEN),
        invited_by=world["users"]["guardian"],
        expires_at=clock.now() + dt.timedelta(days=7),
    )


def _family_edit(section: str) -> dict[str, Row]:
    """GET of an edit page; the family only."""
    return {
        f"families:child_edit_{section}": Row(
            404, {"anonymous": LOGIN} | ok(*FAMILY), args=arg("own_child")
        )
    }


def _token(world) -> list:
    return [PROXY_TOKEN]


ROWS = {
    "families:index": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    # The profile (care records): the family, the facility caring for the child, the ward's
    # reviewer and administrator; never the payments officer (issue 9 item 7, rows_access.py).
    "families:child@own": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, *RELATED_FACILITY, *CARE_DESK),
        args=arg("own_child"),
    ),
    "families:child@other_ward": Row(
        404, {"anonymous": LOGIN} | ok("other_ward_reviewer"), args=arg("other_child")
    ),
    **_family_edit("contacts"),
    **_family_edit("meals"),
    **_family_edit("health"),
    **_family_edit("growth"),
    **_family_edit("pickup"),
    **_family_edit("development"),
    # Writing: only the family may act; a refused actor changes nothing.
    "families:child_edit_meals@post": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("own_child"),
        method="post",
        data=lambda w: {"allergies": "卵\n乳", "meal_requirements": "豚肉なし"},
    ),
    "families:child_edit_contacts@post": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("own_child"),
        method="post",
        data=lambda w: {"name": "試験 一郎", "relation": "祖父", "phone": "03-1234-5678"},
    ),
    "families:child_edit_growth@post": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("own_child"),
        method="post",
        data=lambda w: {"measured_on": "2025-10-10", "height_cm": "80.5", "weight_kg": "10.2"},
    ),
    "families:contact_edit": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=arg("emergency_contact")
    ),
    "families:contact_delete": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("emergency_contact"),
        method="post",
    ),
    "families:growth_delete": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("growth_record"),
        method="post",
    ),
    # Proxy users: the household's guardian manages them; a proxy cannot invite more proxies.
    "families:proxies": Row(404, {"anonymous": LOGIN} | ok("guardian")),
    "families:proxy_invite": Row(404, {"anonymous": LOGIN} | ok("guardian")),
    "families:proxy_invite@post": Row(
        404,
        {"anonymous": LOGIN} | ok("guardian", status=302),
        method="post",
        data=lambda w: {"email": "aunt@example.jp"},
    ),
    # The link from the email: anyone holding it sees the page (no personal data on it); only
    # the account the invitation was sent to can accept, so every actor here is refused (400).
    "families:proxy_accept": Row(200, args=_token),
    "families:proxy_accept@post": Row(400, {"anonymous": LOGIN}, args=_token, method="post"),
    "families:proxy_invitation_revoke": Row(
        404,
        {"anonymous": LOGIN} | ok("guardian", status=302),
        args=arg("proxy_invitation"),
        method="post",
    ),
    "families:proxy_revoke": Row(
        404,
        {"anonymous": LOGIN} | ok("guardian", status=302),
        args=arg("proxy_grant"),
        method="post",
    ),
}
