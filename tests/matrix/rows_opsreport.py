"""The monthly operations report (issue 12 item 5): the ward's administrator and auditor read
their own ward's (screen and PDF), the national operator any ward's (counts only); everyone
else 404, and another ward's is 404 to the ward's own staff. A month that cannot be reported
answers 400 to those who may read the report, 404 to everyone else (checked first)."""

from tests.matrix.base import LOGIN, Row, ok

READERS = ("municipal_admin", "auditor", "national_operator")


def _ward(world):
    return [world["ward"].pk]


def _other_ward(world):
    return [world["other_ward"].pk]


ROWS = {
    "opsreport:report": Row(404, {"anonymous": LOGIN} | ok(*READERS), args=_ward),
    "opsreport:report@month": Row(
        404, {"anonymous": LOGIN} | ok(*READERS), args=_ward, data=lambda w: {"month": "2026-11"}
    ),
    "opsreport:report@bad_month": Row(
        404,
        {"anonymous": LOGIN} | ok(*READERS, status=400),
        args=_ward,
        data=lambda w: {"month": "2026-13"},
    ),
    "opsreport:report@other_ward": Row(
        404, {"anonymous": LOGIN, "national_operator": 200}, args=_other_ward
    ),
    "opsreport:pdf": Row(404, {"anonymous": LOGIN} | ok(*READERS), args=_ward),
    "opsreport:pdf@other_ward": Row(
        404, {"anonymous": LOGIN, "national_operator": 200}, args=_other_ward
    ),
}
