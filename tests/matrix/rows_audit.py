"""The audit log (issue 5 item 9): the auditor and the administrator of the ward search and
export its log; nobody else reaches it. A search by a child names the child by certificate
number; the other ward's staff find nothing of this ward."""

from tests.matrix.base import LOGIN, Row, export_rows, ok

LOG = ("municipal_admin", "auditor")


def _by_own_child(world):
    return {"child": world["notice_certification"].number}


ROWS = {
    "audit:log": Row(404, {"anonymous": LOGIN} | ok(*LOG)),
    "audit:log@by_child": Row(404, {"anonymous": LOGIN} | ok(*LOG), data=_by_own_child),
    "audit:log@bad_period": Row(
        404,
        {"anonymous": LOGIN} | ok(*LOG, status=400),
        data=lambda world: {"date_from": "2026-12-02", "date_to": "2026-12-01"},
    ),
    # The export: a protected export (issue 9 item 4) of the search's events.
    **export_rows("audit:export", LOG),
    **export_rows("audit:export@by_child", LOG, data=_by_own_child),
}
