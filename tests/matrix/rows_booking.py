"""The family's booking pages: book (choose, check, confirm), the list, cancel. Only the family
(guardian or proxy) reaches them; everyone else gets 404, a visitor the login page."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tests.matrix.base import FAMILY, LOGIN, Row, arg, ok
from tsuen import rules
from tsuen.core import clock


def extend(world):
    child, guardian = world["own_child"], world["users"]["guardian"]
    day = clock.today() + dt.timedelta(days=9)
    age_class = rules.age_class(child.birth_date, rules.fiscal_year_of(day))
    slot = f.place_slot(world["related_facility"], day, age_class=age_class, capacity=3)
    world["bookable_slot"] = slot
    world["cancellable_booking"] = f.booking(
        child, slot, guardian, start=dt.time(13), end=dt.time(15)
    )


def _slot(world):
    return {"slot": world["bookable_slot"].pk}


def _check(world):
    return {
        "slot": world["bookable_slot"].pk,
        "children": [world["own_child"].pk],
        "start": "10:00",
        "end": "12:00",
        "step": "check",
    }


FAMILY_ONLY = {"anonymous": LOGIN} | ok(*FAMILY)

ROWS = {
    "booking:list": Row(404, FAMILY_ONLY),
    "booking:book": Row(404, FAMILY_ONLY, data=_slot),
    # The check step shows the preview (hours and cost) and writes nothing.
    "booking:book@check": Row(404, FAMILY_ONLY, method="post", data=_check),
    "booking:cancel": Row(404, FAMILY_ONLY, args=arg("cancellable_booking")),
    "booking:cancel@post": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        method="post",
        args=arg("cancellable_booking"),
    ),
}
