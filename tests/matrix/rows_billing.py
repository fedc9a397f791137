import datetime as dt

from tests.billing import scene
from tests.matrix.base import FAMILY, LOGIN, Row, arg, export_rows, ok
from tsuen.billing import services
from tsuen.core import clock

PAYMENTS = ("municipal_payments", "municipal_admin")


def extend(world):
    # The own child attended the related facility in November; the manager drafted the claim.
    scene.visit(
        world["own_child"],
        world["related_facility"],
        dt.date(2026, 11, 5),
        dt.time(10),
        dt.time(11),
    )
    with clock.frozen(scene.NOW):
        [world["claim"]] = services.generate_claims(world["users"]["facility_manager"], 2026, 11)


def _month(world):
    return {"year": 2026, "month": 11}


ROWS = {
    # Claims: the facility's manager, and the paying ward's payments staff (read-only).
    "billing:claims": Row(404, {"anonymous": LOGIN} | ok("facility_manager", *PAYMENTS)),
    "billing:claim": Row(
        404, {"anonymous": LOGIN} | ok("facility_manager", *PAYMENTS), args=arg("claim")
    ),
    # The claim's files: protected exports (issue 9 item 4) for the same people.
    **export_rows("billing:claim_csv", ("facility_manager", *PAYMENTS), args=arg("claim")),
    **export_rows("billing:claim_pdf", ("facility_manager", *PAYMENTS), args=arg("claim")),
    # Only the manager acts on the facility's claims.
    "billing:generate": Row(
        404,
        {"anonymous": LOGIN, "facility_manager": 302},
        method="post",
        data=_month,
    ),
    # Submitting: without the confirmation token the post answers the confirmation page.
    "billing:submit": Row(
        404, {"anonymous": LOGIN, "facility_manager": 200}, args=arg("claim"), method="post"
    ),
    # With the token of the effects shown: submitted (302 to the claim).
    "billing:submit@confirmed": Row(
        404,
        {"anonymous": LOGIN, "facility_manager": 302},
        args=arg("claim"),
        method="post",
        data=lambda world: {"confirm": _submit_token(world)},
    ),
    "billing:correct": Row(
        404, {"anonymous": LOGIN, "facility_manager": 302}, args=arg("claim"), method="post"
    ),
    # The family's own statement of fees.
    "billing:statement": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=lambda world: [2026, 11]
    ),
    "billing:statement_pdf": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=lambda world: [2026, 11]
    ),
}


def _submit_token(world):
    manager = world["users"]["facility_manager"]
    return services.submit_effects(manager, world["claim"].pk).token
