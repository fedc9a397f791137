"""Issue 12 items 1-2 (council item 3): the ward's retention screen. Its administrator keeps
the schedule and legal holds and asks for, approves, executes and cancels purge runs; the
administrator and the ward's auditor list the runs and download the deletion reports. Everyone
else -- the ward's other roles, another ward, facilities, families, the national operator --
gets 404; another ward's report is 404 even to the ward's administrator and auditor."""

from __future__ import annotations

from tests import factories as f
from tests.matrix.base import LOGIN, Row, arg, ok
from tsuen.accounts.models import Role
from tsuen.core import clock
from tsuen.retention.models import LegalHold, PurgeRun, RunStatus

READ = {"anonymous": LOGIN, **ok("municipal_admin", "auditor")}
ADMIN_ACTS = {"anonymous": LOGIN, "municipal_admin": 302}
#: The step is the administrator's, and the service refuses it with its reason (400). The rows
#: run in order on one world per actor: a second run is refused while one is open; the open run
#: is approved, then executed (a real purge of the world's ward, which has nothing expired),
#: after which it can no longer be cancelled.
ADMIN_REFUSED = {"anonymous": LOGIN, "municipal_admin": 400}


def _executed(ward, by, second) -> PurgeRun:
    now = clock.now()
    return PurgeRun.objects.create(
        municipality=ward, status=RunStatus.EXECUTED, requested_by=by, requested_at=now,
        approved_by=second, approved_at=now, started_at=now, finished_at=now,
        executed_via="screen", report_pdf=b"%PDF-1.4 matrix report", report_sha256="0" * 64,
    )  # fmt: skip


def extend(world):
    ward, other = world["ward"], world["other_ward"]
    admin = world["users"]["municipal_admin"]
    second = f.user(Role.MUNICIPAL_ADMIN, municipality=ward, full_name="第二 管理者")
    other_admin = f.user(Role.MUNICIPAL_ADMIN, municipality=other)
    world["purge_report"] = _executed(ward, admin, second)
    world["other_purge_report"] = _executed(other, other_admin, other_admin)
    # Asked for by the ward's other administrator: the matrix's administrator may approve it.
    world["purge_requested"] = PurgeRun.objects.create(
        municipality=ward, status=RunStatus.REQUESTED, requested_by=second,
        requested_at=clock.now(), planned={},
    )  # fmt: skip
    world["legal_hold"] = LegalHold.objects.create(
        municipality=ward, household=world["household"], reason="行列の保全",
        set_by=second, set_at=clock.now(),
    )  # fmt: skip


SCHEDULE = {
    "certifications": "6",
    "applications": "5",
    "bookings": "5",
    "fee_classes": "5",
    "care_records": "18",
    "evidence_files": "12",
    "claims": "5",
    "households": "12",
    "accounts": "12",
}

ROWS = {
    "retention:index": Row(404, READ),
    "retention:schedule@post": Row(404, ADMIN_ACTS, method="post", data=lambda w: SCHEDULE),
    "retention:hold_set@post": Row(
        404,
        ADMIN_ACTS,
        method="post",
        data=lambda w: {"kind": "child", "target": str(w["own_child"].pk), "reason": "開示請求"},
    ),
    # Another ward's child is not found in the administrator's ward: refused, nothing set.
    "retention:hold_set@other_ward": Row(
        404,
        ADMIN_REFUSED,
        method="post",
        data=lambda w: {"kind": "child", "target": str(w["other_child"].pk), "reason": "他区"},
    ),
    "retention:hold_release@post": Row(
        404, ADMIN_ACTS, args=arg("legal_hold"), method="post", data=lambda w: {"reason": "終了"}
    ),
    "retention:run_request@post": Row(404, ADMIN_REFUSED, method="post"),
    "retention:run_approve@post": Row(404, ADMIN_ACTS, args=arg("purge_requested"), method="post"),
    "retention:run_execute@post": Row(404, ADMIN_ACTS, args=arg("purge_requested"), method="post"),
    "retention:run_cancel@post": Row(
        404, ADMIN_REFUSED, args=arg("purge_requested"), method="post"
    ),
    "retention:report": Row(404, READ, args=arg("purge_report")),
    "retention:report@other_ward": Row(404, {"anonymous": LOGIN}, args=arg("other_purge_report")),
    "retention:run_approve@other_ward": Row(
        404, {"anonymous": LOGIN}, args=arg("other_purge_report"), method="post"
    ),
}
