"""The national operator's screens (issue 5 item 11): municipalities, national rate tables,
aggregate statistics. The national operator only; everyone else gets 404."""

from tests.matrix.base import LOGIN, Row, arg

ONLY = {"anonymous": LOGIN, "national_operator": 200}
ACTS = {"anonymous": LOGIN, "national_operator": 302}

RATES = {
    "base_0": 1800, "base_1": 1500, "base_2": 1500, "disability": 600, "medical_care": 2500,
    "support_needed_family": 600, "first_visit_0": 1800, "first_visit_1": 1500,
    "first_visit_2": 1500,
}  # fmt: skip


def _municipality(code, prefix):
    return lambda world: {
        "code": code,
        "name": "行列市",
        "name_kana": "ギョウレツシ",
        "prefecture": "東京都",
        "certificate_prefix": prefix,
    }


ROWS = {
    "national:municipalities": Row(404, ONLY),
    "national:municipality_new": Row(404, ONLY),
    "national:municipality_new@post": Row(
        404, ACTS, method="post", data=_municipality("13199", "MXN")
    ),
    "national:municipality_edit": Row(404, ONLY, args=arg("ward")),
    "national:municipality_edit@post": Row(
        404, ACTS, args=arg("ward"), method="post", data=_municipality("13198", "MXE")
    ),
    "national:rate_tables": Row(404, ONLY),
    "national:rate_table": Row(404, ONLY, args=lambda world: [2026]),
    "national:rate_table@post": Row(
        404, ACTS, args=lambda world: [2027], method="post", data=lambda world: RATES
    ),
    "national:statistics": Row(404, ONLY),
}
