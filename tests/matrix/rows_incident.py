"""Issue 12 item 6: the emergency switches and the blast-radius query.

The switches are the ward administrator's (own ward) and the national operator's (any ward, or
every ward); the blast radius is the ward administrator's and auditor's. Everyone else: 404.
The rows pull nothing: a switch posted without its confirmation token answers the page that
asks first (200), and the switch the world holds for the release rows is already released (the
refusal goes back to the screen: 302), so no row changes what later rows see."""

from __future__ import annotations

from tests.matrix.base import LOGIN, Row, arg, export_rows
from tsuen.core import clock
from tsuen.incident.models import EmergencySwitch, Kind

SWITCHERS = {"anonymous": LOGIN, "municipal_admin": 200, "national_operator": 200}
SWITCHERS_ACT = {"anonymous": LOGIN, "municipal_admin": 302, "national_operator": 302}
OPERATOR = {"anonymous": LOGIN, "national_operator": 200}
OPERATOR_ACT = {"anonymous": LOGIN, "national_operator": 302}
BLAST = ("municipal_admin", "auditor")


def extend(world):
    admin, operator = world["users"]["municipal_admin"], world["users"]["national_operator"]
    now = clock.now()
    for key, ward, by in (
        ("released_switch", world["ward"], admin),
        ("other_ward_switch", world["other_ward"], operator),
    ):
        world[key] = EmergencySwitch.objects.create(
            kind=Kind.READ_ONLY,
            municipality=ward,
            reason="matrix",
            started_by=by,
            started_at=now,
            released_by=by,
            released_at=now,
            release_reason="matrix",
        )


def _pull(kind: str, ward: str = "ward", **extra):
    def data(world):
        value = "all" if ward == "all" else str(world[ward].pk)
        return {"kind": kind, "ward": value, "reason": "matrix row"} | extra

    return data


def _blast(world):
    return {
        "account": world["users"]["facility_staff"].email,
        "date_from": "2026-11-01",
        "date_to": "2026-12-31",
    }


ROWS = {
    "incident:index": Row(404, SWITCHERS),
    "incident:pull": Row(404, SWITCHERS_ACT),
    "incident:pull@read_only": Row(404, SWITCHERS, method="post", data=_pull(Kind.READ_ONLY)),
    "incident:pull@revoke": Row(404, SWITCHERS, method="post", data=_pull(Kind.REVOKE_SESSIONS)),
    "incident:pull@role": Row(
        404, SWITCHERS, method="post", data=_pull(Kind.DISABLE_ROLE, role="facility_staff")
    ),
    # Another ward's switch is the national operator's, never ward A's administrator's.
    "incident:pull@other_ward": Row(
        404, OPERATOR, method="post", data=_pull(Kind.READ_ONLY, "other_ward")
    ),
    "incident:pull@every_ward": Row(
        404, OPERATOR, method="post", data=_pull(Kind.REVOKE_SESSIONS, "all")
    ),
    "incident:release@post": Row(
        404,
        SWITCHERS_ACT,
        args=arg("released_switch"),
        method="post",
        data=lambda w: {"reason": "matrix row"},
    ),
    "incident:release@other_ward": Row(
        404,
        OPERATOR_ACT,
        args=arg("other_ward_switch"),
        method="post",
        data=lambda w: {"reason": "matrix row"},
    ),
    "incident:release@get": Row(405, {"anonymous": LOGIN}, args=arg("released_switch")),
    "incident:blast": Row(404, {"anonymous": LOGIN} | dict.fromkeys(BLAST, 200)),
    "incident:blast@query": Row(
        404,
        {"anonymous": LOGIN} | dict.fromkeys(BLAST, 200),
        data=_blast,
    ),
    **export_rows("incident:blast_export", BLAST, data=_blast),
}
