"""The facility's day in the room: the day screen, the taps, cancelling a day, daily records;
and the allocation of regular-use requests (tsuen.booking.regular_staff)."""

import datetime as dt

from tests import factories as f
from tests.matrix.base import FACILITY, LOGIN, RELATED_FACILITY, Row, arg, ok
from tsuen.core import clock


def extend(world):
    # A visit today at the related facility, so the day screen shows the world's child.
    slot = f.place_slot(world["related_facility"], clock.today(), age_class=2)
    world["today_visit"] = f.booking(
        world["own_child"], slot, world["users"]["guardian"], start=dt.time(9), end=dt.time(10)
    )
    world["staff_regular_request"] = _regular_request(world)
    world["staff_regular_request_to_decline"] = _regular_request(world, weekday=1)
    world["joint_request"] = _regular_request(world, weekday=2)
    world["joint_request_to_decline"] = _regular_request(world, weekday=3)


def _today(world):
    return {"date": clock.today().isoformat(), "reason": "臨時休園"}


ROWS = {
    # Every facility user sees its own facility's day (another facility's is just empty).
    "attendance:staff_day": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
    # Check-in, check-out, no-show, undo: the facility of the visit; the answer is a redirect
    # back to the day screen.
    "attendance:staff_tap": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=302),
        args=arg("today_visit"),
        method="post",
        data=lambda world: {"action": "no_show"},
    ),
    # Cancelling a day: a facility user cancels its own facility's bookings only. Without the
    # confirmation token the post answers the confirmation page (200), cancelling nothing.
    "attendance:staff_cancel_day": Row(
        404,
        {"anonymous": LOGIN} | ok(*FACILITY),
        method="post",
        data=_today,
    ),
    "attendance:staff_record": Row(
        404, {"anonymous": LOGIN} | ok(*RELATED_FACILITY), args=arg("booking")
    ),
    # Correcting a visit's real times: the facility of the visit.
    "attendance:staff_times": Row(
        404, {"anonymous": LOGIN} | ok(*RELATED_FACILITY), args=arg("booking")
    ),
}


def _regular_request(world, weekday=0):
    from tsuen.booking.models import RegularUseRequest

    return RegularUseRequest.objects.create(
        child=world["own_child"],
        facility=world["related_facility"],
        weekday=weekday,
        starts_at=dt.time(9),
        ends_at=dt.time(12),
        period_from=dt.date(2027, 1, 4),
        period_to=dt.date(2027, 1, 31),
        requested_by=world["users"]["guardian"],
    )


ROWS |= {
    # The facility's list of regular-use requests: any facility user (its own requests only).
    "booking:staff_regular": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
    # One request: its proposal (no slots in the world: every date would be left out, shown
    # with the reasons) or its answer; the facility asked.
    "booking:staff_regular_request": Row(
        404, {"anonymous": LOGIN} | ok(*RELATED_FACILITY), args=arg("staff_regular_request")
    ),
    # Allocating without the confirmation token of the proposal: refused (400), nothing booked.
    "booking:staff_regular_allocate": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=400),
        args=arg("staff_regular_request"),
        method="post",
    ),
    # With the token of the proposal shown: answered, then the result page (302).
    "booking:staff_regular_allocate@confirmed": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=302),
        args=arg("staff_regular_request"),
        method="post",
        data=lambda world: {"confirm": _proposal_token(world)},
    ),
    # Declining with a reason for the family.
    "booking:staff_regular_decline": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=302),
        args=arg("staff_regular_request_to_decline"),
        method="post",
        data=lambda world: {"reason": "定員に達しています"},
    ),
}


def _proposal_token(world):
    from tsuen.booking import regular_staff

    staff = world["users"]["facility_staff"]
    return regular_staff.request_page(staff, world["staff_regular_request"].pk).proposal.token


def _joint_selection(world):
    return {"chosen": "1", "request": [world["joint_request"].pk]}


def _joint_token(world):
    from tsuen.booking import regular_staff

    staff = world["users"]["facility_staff"]
    page = regular_staff.joint_page(staff, request_ids=[world["joint_request"].pk])
    return page.proposal.token


ROWS |= {
    # The joint proposal of the facility's open requests: any facility user (its own only;
    # another facility's page is empty).
    "booking:staff_regular_joint": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
    # The same page for a chosen request: the facility asked (another facility: 404).
    "booking:staff_regular_joint@selected": Row(
        404, {"anonymous": LOGIN} | ok(*RELATED_FACILITY), data=_joint_selection
    ),
    # Allocating together without the proposal's token: refused (400), nothing booked.
    "booking:staff_regular_joint_allocate": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=400),
        method="post",
        data=_joint_selection,
    ),
    # With the token of the joint proposal shown: answered, then the result page (302).
    "booking:staff_regular_joint_allocate@confirmed": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=302),
        method="post",
        data=lambda world: _joint_selection(world) | {"confirm": _joint_token(world)},
    ),
    # Declining one request from the joint page, with a reason for the family.
    "booking:staff_regular_joint_decline": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, status=302),
        args=arg("joint_request_to_decline"),
        method="post",
        data=lambda world: _joint_selection(world) | {"reason": "定員に達しています"},
    ),
}
