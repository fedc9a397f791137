from tests.matrix.base import FACILITY, FAMILY, LOGIN, MUNICIPAL, Row, ok

ROWS = {
    "portals:home": Row(302, {"anonymous": 200}),
    "portals:guardian": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    "portals:facility": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
    "portals:municipality": Row(
        404, {"anonymous": LOGIN} | ok(*MUNICIPAL, "auditor", "other_ward_reviewer")
    ),
    "portals:national": Row(404, {"anonymous": LOGIN} | ok("national_operator")),
    "set_language": Row(302, method="post", data=lambda w: {"language": "en", "next": "/"}),
}
