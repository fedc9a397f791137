"""The ward's claim review: the paying ward's payments officer and administrator only."""

import datetime as dt

from tests.billing import scene
from tests.matrix.base import LOGIN, Row, arg, export_rows, ok
from tsuen.billing import services, services_review
from tsuen.core import clock

PAYMENTS = ("municipal_payments", "municipal_admin")


def _submitted(world, month: int):
    scene.visit(world["own_child"], world["related_facility"], dt.date(2026, month, 7), dt.time(10))
    manager = world["users"]["facility_manager"]
    with clock.frozen(scene.NOW):
        [claim] = services.generate_claims(manager, 2026, month)
        _submit(manager, claim.pk)
    return claim


def extend(world):
    # Three submitted claims of the related facility to the ward (months other than the
    # facility's November draft): one to read and query, one to approve, one approved to pay.
    world["ward_claim"] = _submitted(world, 8)
    world["ward_claim_to_approve"] = _submitted(world, 9)
    world["ward_claim_to_pay"] = _submitted(world, 10)
    officer = world["users"]["municipal_payments"]
    _approve(officer, world["ward_claim_to_pay"].pk)


def _query(world):
    return {"line": world["ward_claim"].lines.first().pk, "message": "確認してください"}


ROWS = {
    "billing:ward_claims": Row(404, {"anonymous": LOGIN} | ok(*PAYMENTS)),
    "billing:ward_claim": Row(404, {"anonymous": LOGIN} | ok(*PAYMENTS), args=arg("ward_claim")),
    # The finance export: a protected export (issue 9 item 4).
    **export_rows(
        "billing:ward_export",
        PAYMENTS,
        data=lambda world: {"year": 2026, "month": 10, "format": "xlsx"},
    ),
    "billing:ward_query": Row(
        404,
        {"anonymous": LOGIN} | ok(*PAYMENTS, status=302),
        args=arg("ward_claim"),
        method="post",
        data=_query,
    ),
    # The world's claims have flagged visits: the first post answers the confirmation page
    # listing them (200); the post with its token approves (302).
    "billing:ward_approve": Row(
        404,
        {"anonymous": LOGIN} | ok(*PAYMENTS),
        args=arg("ward_claim_to_approve"),
        method="post",
    ),
    "billing:ward_approve@confirmed": Row(
        404,
        {"anonymous": LOGIN} | ok(*PAYMENTS, status=302),
        args=arg("ward_claim_to_approve"),
        method="post",
        data=lambda world: {"confirm": _approval_token(world)},
    ),
    "billing:ward_pay": Row(
        404,
        {"anonymous": LOGIN} | ok(*PAYMENTS, status=302),
        args=arg("ward_claim_to_pay"),
        method="post",
        data=lambda world: {"paid_on": clock.today().isoformat()},
    ),
}


def _submit(manager, claim_id):
    """Submit as the facility does: confirming the effects shown."""
    token = services.submit_effects(manager, claim_id).token
    return services.submit_claim(manager, claim_id, confirm_token=token)


def _approval_token(world):
    from tsuen.core import tenancy

    officer = world["users"]["municipal_payments"]
    with tenancy.tenant(officer.municipality_id):
        page = services_review.review_page(officer, world["ward_claim_to_approve"].pk)
        return services_review.approval_token(page)


def _approve(officer, claim_id):
    """Approve as the ward does: confirming the flagged visits shown, if any."""
    page = services_review.review_page(officer, claim_id)
    token = services_review.approval_token(page)
    return services_review.approve(officer, claim_id, confirm_token=token)
