"""QR check-in (issue 13 item 4): the facility tablet's code, and the page a guardian's phone
opens from it (scan, then confirm). The world's child has a visit today at the related
facility (``today_visit``, from rows_attendance_staff)."""

from tests.matrix.base import FACILITY, FAMILY, LOGIN, Row, ok
from tsuen.core import clock


def _code_now(world):
    from tsuen.attendance import services_qr

    facility = world["related_facility"]
    minute = services_qr.minute_of(clock.now())
    return [facility.pk, services_qr.code_for(facility.pk, minute)]


ROWS = {
    # The tablet's code: any facility user shows its own facility's code (no personal data).
    "attendance:staff_qr": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
    # The scan: the family (guardian, live proxy) sees its child's visit today at the code's
    # facility; everyone else is not someone who checks a child in (404).
    "attendance:qr_scan": Row(404, {"anonymous": LOGIN} | ok(*FAMILY), args=_code_now),
    # The confirmation: a check-out of a child not checked in is refused with the reason
    # (400, nothing written) for the family; 404 for everyone else.
    "attendance:qr_scan@confirm": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=400),
        args=_code_now,
        method="post",
        data=lambda world: {"booking": world["today_visit"].pk, "action": "check_out"},
    ),
}

ROWS |= {
    # The day screen's fingerprint (a hash, no personal data), polled to reload the screen:
    # any facility user, its own facility's day.
    "attendance:staff_day_version": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
}
