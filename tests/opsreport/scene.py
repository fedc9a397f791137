"""A ward's November 2026 as the monthly operations report reads it, with events just before
and after the month and in another ward that the report must leave out.

Audit events are written through the real recording code (``tsuen.audit.record``, the login
audit's functions as the login views call them) with the clock set to the moment; the anomalies,
purge runs and backups as their own code stores them. ``EXPECTED`` is every figure the report
must give for November, counted by hand from what is made here."""

from __future__ import annotations

import dataclasses
import datetime as dt

from allauth.mfa.models import Authenticator
from django.utils import timezone

from tests import factories as f
from tsuen.accounts import login_audit
from tsuen.accounts.models import Role
from tsuen.audit import Action, record, record_many
from tsuen.audit.sequencer import seal
from tsuen.backups.models import BackupRun, Kind, Result
from tsuen.core import clock, context
from tsuen.monitoring.models import Anomaly, Disposition, Rule
from tsuen.municipalities.models import Municipality
from tsuen.retention.models import PurgeRun, RunStatus

#: The report is made on 4 December 2026, Japan time: November is the last month over.
TODAY = timezone.make_aware(dt.datetime(2026, 12, 4, 10, 0))
NOVEMBER = dt.date(2026, 11, 1)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


@dataclasses.dataclass
class Scene:
    ward: Municipality
    other_ward: Municipality
    admin: object
    auditor: object
    reviewer: object
    facility_staff: object
    manager: object
    nameless: object


def _as(user, when, address="192.0.2.10"):
    """Act as ``user`` (None: anonymous) at ``when``: the clock and the audit actor."""

    class _Both:
        def __enter__(self):
            self.clock = clock.frozen(when)
            self.clock.__enter__()
            self.actor = context.acting_as(context.actor_for(user, address))
            self.actor.__enter__()

        def __exit__(self, *exc):
            self.actor.__exit__(*exc)
            self.clock.__exit__(*exc)

    return _Both()


def _login_events(capture, user, when, kind):
    """The login audit's own functions, their on-commit writes run at once."""
    with _as(user, when), capture(execute=True):
        if kind == "login":
            login_audit.logged_in(None, user)
        elif kind == "failed":
            login_audit.password_failed(None, user)
        elif kind == "lockout":
            login_audit.locked_out(None, user)
        elif kind == "denied":
            login_audit.refused_outside_network(None, user)


def build(capture) -> Scene:
    ward = f.municipality(name="報告区")
    other = f.municipality(name="他区")
    facility = f.facility(ward)
    other_facility = f.facility(other)

    # Staff: with TOTP (admin, auditor), with a passkey only (manager), none (reviewer, staff).
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward, full_name="管理 一郎")
    auditor = f.user(Role.AUDITOR, municipality=ward, full_name="監査 二郎")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, full_name="審査 未設定")
    staff = f.user(Role.FACILITY_STAFF, facility=facility, full_name="保育 未設定")
    manager = f.user(Role.FACILITY_MANAGER, facility=facility, full_name="園長 鍵子")
    nameless = f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward)  # no name: the email shows
    f.second_factor(admin)
    f.second_factor(auditor)
    Authenticator.objects.create(user=manager, type=Authenticator.Type.WEBAUTHN, data={})
    # Left out: an inactive account, another ward's staff, a guardian.
    f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, is_active=False, full_name="退職 済")
    f.user(Role.MUNICIPAL_REVIEWER, municipality=other, full_name="他区 職員")
    f.user(Role.FACILITY_STAFF, facility=other_facility, full_name="他園 職員")
    _guardian, household, child = f.family(ward)
    _, _, other_child = f.family(other)

    # Logins: 3 in November by 2 accounts (one a facility's staff: the facility's ward's chain);
    # one on 31 October 23:59 and one on 1 December 00:00 (outside the month); one in the other
    # ward.
    _login_events(capture, admin, at(2, 9), "login")
    _login_events(capture, admin, at(30, 23, 59), "login")
    _login_events(capture, staff, at(1, 0, 0), "login")
    _login_events(capture, admin, at(31, 23, 59, month=10), "login")
    _login_events(capture, admin, at(1, 0, 0, month=12), "login")
    _login_events(capture, f.user(Role.MUNICIPAL_ADMIN, municipality=other), at(5), "login")
    # Failed logins: 2; lockouts: 1.
    _login_events(capture, reviewer, at(10, 8), "failed")
    _login_events(capture, reviewer, at(10, 8, 1), "failed")
    _login_events(capture, reviewer, at(10, 8, 2), "lockout")
    # Denials: 2 at the password step from outside the staff network, 1 of a session that moved
    # outside (as StaffNetworkMiddleware records it).
    _login_events(capture, reviewer, at(11, 12), "denied")
    _login_events(capture, admin, at(12, 12), "denied")
    with _as(reviewer, at(13, 12), "203.0.113.9"):
        record("denied", None, municipality_id=ward.pk)

    # Sensitive reads: 2 by the reviewer, 1 by facility staff (3 events, 2 accounts); a read of
    # a name only and a read in the other ward do not count.
    with _as(reviewer, at(14)):
        record(Action.READ, child, ["allergies"])
    with _as(reviewer, at(15)):
        record(Action.READ, child, ["given_name", "medical_care"])
    with _as(staff, at(15)):
        record_many(Action.LIST, [child], ["allergies", "given_name"])
    with _as(reviewer, at(16)):
        record(Action.READ, child, ["given_name"])
    with _as(f.user(Role.MUNICIPAL_REVIEWER, municipality=other), at(16)):
        record(Action.READ, other_child, ["allergies"])

    # Exports: one export of 2 rows (one request) and one download: 2 requests, 3 rows.
    second = f.child(household, given_name="二花")
    with _as(admin, at(20)):
        record_many(Action.EXPORT, [child, second], ["given_name"])
    with _as(auditor, at(21)):
        record(Action.DOWNLOAD, household)

    # Anomalies: found in November: off hours open, lockout explained, denials escalated and
    # another denials open; one in October and one of the other ward are left out.
    def anomaly(rule, when, disposition=Disposition.OPEN, municipality=ward):
        disposed = disposition != Disposition.OPEN
        return Anomaly.unscoped.create(
            municipality=municipality, rule=rule, subject=f"account:{reviewer.pk}",
            actor_id=reviewer.pk, actor_role=reviewer.role, window_start=when,
            window_end=when + dt.timedelta(days=1), figures={"events": 1}, found_at=when,
            disposition=disposition, note="確認済み" if disposed else "",
            disposed_by=admin if disposed else None, disposed_at=TODAY if disposed else None,
        )  # fmt: skip

    anomaly(Rule.OFF_HOURS, at(1, 0))
    anomaly(Rule.LOCKOUT, at(10, 0), Disposition.EXPLAINED)
    anomaly(Rule.DENIALS, at(11, 12), Disposition.ESCALATED)
    anomaly(Rule.DENIALS, at(13, 12))
    anomaly(Rule.OFF_HOURS, at(31, 0, month=10), Disposition.EXPLAINED)
    anomaly(Rule.OFF_HOURS, at(2, 0), municipality=other)

    # Purge runs: one executed in November (7 rows), one cancelled in November, one executed in
    # September.
    def run(status, requested, finished=None, deleted=None):
        return PurgeRun.unscoped.create(
            municipality=ward, status=status, requested_by=admin, requested_at=requested,
            approved_by=auditor if finished else None, started_at=finished,
            finished_at=finished, deleted=deleted or {}, report_sha256="ab" * 32,
        )  # fmt: skip

    run(RunStatus.EXECUTED, at(3), at(4), {"bookings": {"booking.Booking": 5,
        "attendance.Attendance": 2}})  # fmt: skip
    run(RunStatus.CANCELLED, at(25))
    run(RunStatus.EXECUTED, at(3, month=9), at(4, month=9), {"bookings": {"booking.Booking": 9}})

    # Backups: a good backup on 29 November and a failed one on 30 November; a drill on
    # 15 November; a backup on 2 December (after the month: not in November's report).
    def backup(kind, result, when):
        BackupRun.objects.create(
            kind=kind, result=result, started_at=when - dt.timedelta(minutes=5),
            finished_at=when, command="manage.py backup", operator="ops",
            database_vendor="postgresql",
        )  # fmt: skip

    backup(Kind.BACKUP, Result.OK, at(29, 2))
    backup(Kind.BACKUP, Result.FAILED, at(30, 2))
    backup(Kind.DRILL, Result.OK, at(15, 3))
    backup(Kind.BACKUP, Result.OK, at(2, 2, month=12))

    seal()
    return Scene(ward, other, admin, auditor, reviewer, staff, manager, nameless)


#: November's figures, counted by hand from ``build``.
EXPECTED = {
    "logins": 3,
    "login_accounts": 2,
    "failed_logins": 2,
    "lockouts": 1,
    "denials": 3,
    "denied_at_login": 2,
    "denied_in_session": 1,
    "other_denials": 0,
    "sensitive_reads": 3,
    "sensitive_readers": 2,
    "export_requests": 2,
    "export_rows": 3,
}
