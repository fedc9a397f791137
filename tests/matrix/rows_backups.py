"""The backup status page (issue 12 item 7): the last backups and restore drills of the whole
system, no person's data. The ward's administrator and auditor (any ward: backups are not per
ward) and the national operator; everyone else 404."""

from tests.matrix.base import LOGIN, Row, ok

ROWS = {
    "backups:status": Row(
        404, {"anonymous": LOGIN} | ok("municipal_admin", "auditor", "national_operator")
    ),
}
