"""The ward's dashboard (issue 5 item 8): the staff of a ward and its auditor, each for their
own ward only (the page takes no ward or child in its URL: a reviewer of another ward gets
their own ward's dashboard, which never shows this world's ward-A children; see
tests/reports/test_dashboard.py). The person lists on it are audited."""

from tests.matrix.base import LOGIN, MUNICIPAL, Row, ok

ROWS = {
    "reports:dashboard": Row(
        404, {"anonymous": LOGIN} | ok(*MUNICIPAL, "auditor", "other_ward_reviewer")
    ),
}
