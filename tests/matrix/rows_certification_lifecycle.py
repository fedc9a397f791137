"""Issue 5: the ward's fee-class and end-of-certification pages for a certified child.

Only the reviewer or administrator of the child's ward: ward B's reviewer reaches ward B's
child and gets 404 for ward A's (the ``@own`` rows)."""

from __future__ import annotations

import datetime as dt

from tests.matrix.base import LOGIN, Row, arg, ok
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock

DESK = ("municipal_reviewer", "municipal_admin")


def _certified(world, child, ward, number):
    if Certification.objects.filter(child=child, status=CertificationStatus.ACTIVE).exists():
        return
    today = clock.today()
    Certification.objects.create(
        municipality=ward,
        child=child,
        number=number,
        valid_from=today - dt.timedelta(days=30),
        valid_to=today.replace(year=today.year + 1),
        status=CertificationStatus.ACTIVE,
        certified_at=clock.now(),
        certified_by=world["users"]["municipal_admin"],
    )


def extend(world):
    _certified(world, world["own_child"], world["ward"], "LC2026-00001")
    _certified(world, world["other_child"], world["other_ward"], "LC2026-00002")


def _fee_class(world):
    return {"fee_class": "tax_exempt", "valid_from": clock.today().isoformat()}


def _end(world):
    day = clock.today() + dt.timedelta(days=1)
    return {"reason": "moved_out", "ended_on": day.isoformat()}


ROWS = {
    # Issue 10: the ward's list of certified children (its case workers; ward B's reviewer
    # sees ward B's list).
    "certification:staff_children": Row(
        404, {"anonymous": LOGIN} | ok(*DESK, "municipal_payments", "other_ward_reviewer")
    ),
    # Issue 9 item 7: the payments officer reads the page (certificate numbers, fee-class
    # validity) without its form; only the desk saves (the @save rows).
    "certification:staff_fee_class@own": Row(
        404, {"anonymous": LOGIN} | ok(*DESK, "municipal_payments"), args=arg("own_child")
    ),
    "certification:staff_fee_class@other_ward": Row(
        404, {"anonymous": LOGIN} | ok("other_ward_reviewer"), args=arg("other_child")
    ),
    "certification:staff_fee_class@save": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK, status=302),
        args=arg("own_child"),
        method="post",
        data=_fee_class,
    ),
    "certification:staff_fee_class@save_other_ward": Row(
        404,
        {"anonymous": LOGIN} | ok("other_ward_reviewer", status=302),
        args=arg("other_child"),
        method="post",
        data=_fee_class,
    ),
    "certification:staff_end@own": Row(
        404, {"anonymous": LOGIN} | ok(*DESK), args=arg("own_child")
    ),
    "certification:staff_end@other_ward": Row(
        404, {"anonymous": LOGIN} | ok("other_ward_reviewer"), args=arg("other_child")
    ),
    "certification:staff_end@save": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK, status=302),
        args=arg("own_child"),
        method="post",
        data=_end,
    ),
    "certification:staff_end@save_other_ward": Row(
        404,
        {"anonymous": LOGIN} | ok("other_ward_reviewer", status=302),
        args=arg("other_child"),
        method="post",
        data=_end,
    ),
}
