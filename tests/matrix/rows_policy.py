"""The ward's policy (issue 5 item 6): its casework staff and auditor read the versions (the
national operator reads a version too, as POLICY_VIEW allows); only its administrator writes
or previews a new one. Families and facilities get 404; another ward sees only its own."""

import datetime as dt

from tests.matrix.base import LOGIN, MUNICIPAL, Row, arg, ok
from tests.municipalities.policy_world import form_data, values, ward_policy
from tsuen import rules
from tsuen.core import clock
from tsuen.municipalities.models import MunicipalPolicy


def extend(world):
    first = rules.fiscal_year_bounds(rules.fiscal_year_of(clock.today()))[0]
    for key, ward in (("ward_policy", "ward"), ("other_ward_policy", "other_ward")):
        row = MunicipalPolicy.objects.filter(municipality=world[ward]).first()
        if row is None:  # another rows module may have set one up already
            row = MunicipalPolicy.from_rules(
                world[ward], ward_policy(rules.fiscal_year_of(first)), first
            )
            row.save()
        world[key] = row


def _new_version(action):
    def data(world):
        day = clock.today() + dt.timedelta(days=1)
        v = values(fiscal_year=rules.fiscal_year_of(day), effective_from=day, caps=[
            {"period": "month", "limit_minutes": 600}
        ])  # fmt: skip
        return form_data(v, action=action)

    return data


READERS = ok(*MUNICIPAL, "auditor")

ROWS = {
    "municipalities:policy": Row(404, {"anonymous": LOGIN} | READERS | ok("other_ward_reviewer")),
    "municipalities:policy_detail@own": Row(
        404, {"anonymous": LOGIN} | READERS | ok("national_operator"), args=arg("ward_policy")
    ),
    "municipalities:policy_detail@other_ward": Row(
        404,
        {"anonymous": LOGIN} | ok("other_ward_reviewer", "national_operator"),
        args=arg("other_ward_policy"),
    ),
    "municipalities:policy_new": Row(404, {"anonymous": LOGIN} | ok("municipal_admin")),
    "municipalities:policy_new@preview": Row(
        404,
        {"anonymous": LOGIN} | ok("municipal_admin"),
        method="post",
        data=_new_version("preview"),
    ),
    "municipalities:policy_new@save": Row(
        404,
        {"anonymous": LOGIN} | ok("municipal_admin", status=302),
        method="post",
        data=_new_version("save"),
    ),
}
