"""The anomaly desk (issue 12 item 4): the ward's administrator and auditor list the anomalies
found in their ward's audit log and dispose of each; nobody else reaches them, and another
ward's anomaly is 404 even to them (the other ward's is reached by no actor of this world)."""

import datetime as dt

from tests.matrix.base import LOGIN, Row, arg, ok
from tsuen.monitoring.models import Anomaly

DESK = ("municipal_admin", "auditor")


def extend(world):
    start = dt.datetime(2026, 11, 21, tzinfo=dt.timezone(dt.timedelta(hours=9)))

    def anomaly(ward, subject_id):
        return Anomaly.unscoped.create(
            municipality=ward, rule="off_hours", subject=f"account:{subject_id}",
            actor_id=subject_id, actor_role="municipal_reviewer", window_start=start,
            window_end=start + dt.timedelta(days=1), figures={"events": 3}, found_at=start,
        )  # fmt: skip

    world["anomaly"] = anomaly(world["ward"], world["users"]["municipal_reviewer"].pk)
    world["other_ward_anomaly"] = anomaly(
        world["other_ward"], world["users"]["other_ward_reviewer"].pk
    )


def _dispose(world):
    return {"disposition": "explained", "note": "当番の夜間対応(上長確認済み)"}


ROWS = {
    "monitoring:anomalies": Row(404, {"anonymous": LOGIN} | ok(*DESK)),
    "monitoring:anomalies@all": Row(
        404, {"anonymous": LOGIN} | ok(*DESK), data=lambda world: {"show": "all"}
    ),
    "monitoring:anomalies@bad_filter": Row(
        404, {"anonymous": LOGIN} | ok(*DESK, status=400), data=lambda world: {"show": "x"}
    ),
    "monitoring:anomaly": Row(404, {"anonymous": LOGIN} | ok(*DESK), args=arg("anomaly")),
    "monitoring:anomaly@other_ward": Row(404, {"anonymous": LOGIN}, args=arg("other_ward_anomaly")),
    # Disposing: the desk's POST redirects back to the anomaly; everyone else changes nothing.
    "monitoring:anomaly@dispose": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK, status=302),
        args=arg("anomaly"),
        method="post",
        data=_dispose,
    ),
    "monitoring:anomaly@dispose_other_ward": Row(
        404, {"anonymous": LOGIN}, args=arg("other_ward_anomaly"), method="post", data=_dispose
    ),
}
