"""The ward's facility register: the ward's case workers read it; its administrator registers,
edits, invites managers and suspends. Another ward's staff and everyone else: 404 (anonymous:
login). The rows act on a facility of their own so that a suspension changes nothing else."""

from tests import factories as f
from tests.matrix.base import LOGIN, MUNICIPAL, Row, ok

ADMIN = {"anonymous": LOGIN, "municipal_admin": 200}


def extend(world):
    world["ward_facility"] = f.facility(world["ward"], name="区の登録園")


def _pk(world):
    return [world["ward_facility"].pk]


def _form(world):
    return {
        "facility_type": "general",
        "name": "matrix",
        "postal_code": "160-0022",
        "address": "東京都新宿区新宿1-1-1",
        "accepts_class_1": "on",
        "offers_flexible": "on",
        "fee_per_hour": "300",
    }


ROWS = {
    # The list is of the user's own ward: another ward's reviewer sees their own (empty) list.
    "facilities:ward_register": Row(
        404, {"anonymous": LOGIN} | ok(*MUNICIPAL, "other_ward_reviewer")
    ),
    "facilities:ward_facility": Row(404, {"anonymous": LOGIN} | ok(*MUNICIPAL), args=_pk),
    "facilities:ward_new": Row(404, ADMIN),
    "facilities:ward_new@post": Row(
        404, {"anonymous": LOGIN, "municipal_admin": 302}, method="post", data=_form
    ),
    "facilities:ward_edit": Row(404, ADMIN, args=_pk),
    "facilities:ward_edit@post": Row(
        404, {"anonymous": LOGIN, "municipal_admin": 302}, args=_pk, method="post", data=_form
    ),
    "facilities:ward_invite": Row(404, ADMIN, args=_pk),
    "facilities:ward_invite@post": Row(
        404,
        {"anonymous": LOGIN, "municipal_admin": 302},
        args=_pk,
        method="post",
        data=lambda world: {"email": "matrix.manager@example.jp"},
    ),
    "facilities:ward_suspension": Row(404, ADMIN, args=_pk),
    "facilities:ward_suspension@post": Row(
        404,
        {"anonymous": LOGIN, "municipal_admin": 302},
        args=_pk,
        method="post",
        data=lambda world: {"reason": "matrix"},
    ),
}
