"""Facility search and pages are public; first interviews belong to the child's family (the
facility decides through the service layer, pinned in tests/facilities)."""

import datetime as dt

from tests import factories as f
from tests.matrix.base import FAMILY, LOGIN, Row, arg, ok
from tsuen.core import clock
from tsuen.facilities.models import InterviewSlot, InterviewStatus


def extend(world):
    guardian, related = world["users"]["guardian"], world["related_facility"]
    starts = clock.now() + dt.timedelta(days=7)
    slot = InterviewSlot.objects.create(
        facility=related, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), capacity=3
    )
    world["interview_slot"] = slot
    world["requested_interview"] = f.interview(
        world["own_child"], related, guardian, status=InterviewStatus.REQUESTED, slot=slot
    )
    # A sibling with no interview yet, for whom the family asks for one.
    world["sibling"] = f.child(
        world["household"], family_name="見本", given_name="二葉", given_name_kana="フタバ"
    )


def _request(world):
    return {"child": world["sibling"].pk, "slot": world["interview_slot"].pk}


ROWS = {
    # Public: anyone may search and read a facility page.
    "facilities:search": Row(200),
    # The search form's municipality list of one prefecture (published facts, no one's data).
    "facilities:search_municipalities": Row(200),
    "facilities:detail": Row(200, args=arg("related_facility")),
    # The family's own pages.
    "facilities:interviews": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    "facilities:interview_request": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=arg("related_facility")
    ),
    "facilities:interview_request@post": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("related_facility"),
        method="post",
        data=_request,
    ),
    "facilities:interview_cancel": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("requested_interview"),
        method="post",
    ),
}
