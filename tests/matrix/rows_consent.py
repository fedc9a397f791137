"""The purpose notice, consent and disclosure (/consent/..., issue 12 item 3): the family reads
the notice (proxies too); the household's guardians agree, withdraw and download everything
held; every other account, and every other family, gets 404."""

from tests import factories as f
from tests.matrix.base import CARE_DESK, FAMILY, LOGIN, Row, arg, export_form, export_rows, ok


def extend(world):
    # Another family of the same ward (other_household is in another ward).
    _guardian, world["neighbour_household"], _child = f.family(world["ward"])
    # A paper request at the ward's desk for the neighbours, not yet produced.
    from tsuen.consent.desk import record_request
    from tsuen.core import clock

    world["desk_request"] = record_request(
        world["users"]["municipal_reviewer"],
        world["neighbour_household"].pk,
        received_on=clock.today(),
        identity_document="my_number_card",
        requester_relation="guardian",
        submission=export_form()["request_id"],
    )


def _desk_form(world) -> dict:
    from tsuen.core import clock

    return {
        "received_on": clock.today().isoformat(),
        "identity_document": "passport",
        "requester_relation": "guardian",
        "note": "",
        "submission": export_form()["request_id"],
    }


#: The ward desk's officials (reviewer, administrator); another ward's reviewer has a desk of
#: its own (its pages answer, without this ward's households or requests).
DESK = {"anonymous": LOGIN} | ok(*CARE_DESK)


def _household_rows(route: str, *allowed: str, **extra) -> dict[str, Row]:
    return {
        f"consent:{route}@own": Row(
            404, {"anonymous": LOGIN} | ok(*allowed), args=arg("household"), **extra
        ),
        f"consent:{route}@same_ward_other_family": Row(
            404, {"anonymous": LOGIN}, args=arg("neighbour_household"), **extra
        ),
        f"consent:{route}@other_ward": Row(
            404, {"anonymous": LOGIN}, args=arg("other_household"), **extra
        ),
    }


ROWS = {
    "consent:index": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    **_household_rows("notice", *FAMILY),
    # Agreeing: a guardian only (the world's household has agreed already: the guardian is told
    # so, 400, and nothing is written); a proxy does not agree for the children (404).
    "consent:notice@post": Row(
        404,
        {"anonymous": LOGIN, "guardian": 400},
        args=arg("household"),
        method="post",
        data=lambda w: {"agree": "yes", "version": "1"},
    ),
    # Withdrawing (GET: the page saying what happens). Its POST is checked in
    # tests/consent/test_consent.py: here it would withdraw the world's consent before the
    # profile rows that save sensitive data.
    **_household_rows("withdraw", "guardian"),
    # Disclosure (開示請求): the household's guardians only, never a proxy or staff.
    **_household_rows("disclosure_json", "guardian"),
    **_household_rows("disclosure_pdf", "guardian"),
    # The ward's desk for paper requests (開示請求): the reviewer and the administrator of the
    # household's ward; never the payments officer, the auditor, a facility, the operator or a
    # family.
    "consent:desk": Row(404, DESK | {"other_ward_reviewer": 200}),
    "consent:desk_households": Row(404, DESK | {"other_ward_reviewer": 200}),
    "consent:desk_new_request@own": Row(404, DESK, args=arg("household")),
    "consent:desk_new_request@other_ward": Row(
        404, {"anonymous": LOGIN, "other_ward_reviewer": 200}, args=arg("other_household")
    ),
    "consent:desk_new_request@post": Row(
        404,
        {"anonymous": LOGIN} | ok(*CARE_DESK, status=302),
        args=arg("household"),
        method="post",
        data=_desk_form,
    ),
    "consent:desk_request": Row(404, DESK, args=arg("desk_request")),
    **export_rows(
        "consent:desk_produce",
        CARE_DESK,
        args=arg("desk_request"),
        data=lambda w: {"confirmed": "1"},
    ),
}
