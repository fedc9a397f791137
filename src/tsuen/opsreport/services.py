"""The monthly operations report (月次運用報告) of one ward (SECURITY.md item 2; issue 12 item 5).

Every figure is computed when the report is asked for, from the ward's audit log and records:
nothing is stored. The audit log's figures are aggregations in SQL over the ward's chain between
the first and the last moment of the month, Japan time (the ``municipality, occurred_at`` index
finds them), never a loop over events in Python. docs/operations-report.md says where each
figure comes from.

Who may read it is the authorization layer's decision (``OPS_REPORT_VIEW`` on the municipality:
the ward's administrator and auditor, their own ward only, and the national operator, any ward);
the names of staff without a second factor only to those granted ``OPS_REPORT_NAMES`` (the
ward's administrator and auditor): the national operator reads counts. Reading the report is
recorded as ``read`` of the municipality, downloading its PDF as ``download`` with the PDF's
SHA-256.

A month not yet over may be shown: its figures run to the moment the report was made, and the
report says so (集計途中). A month that has not begun is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.accounts.models import FACILITY_ROLES, MUNICIPAL_ROLES, Role, User
from tsuen.audit import Action, record
from tsuen.audit.actions import READ_ACTIONS
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key
from tsuen.authz.policy import Action as Can
from tsuen.authz.policy import allows, api_system_users, get_or_404
from tsuen.core import clock
from tsuen.municipalities.models import Municipality

#: The earliest month a report may be asked for (before it, tsuen kept no log).
FIRST_MONTH = dt.date(2020, 1, 1)
_MONTH = re.compile(r"(\d{4})-(\d{2})")
EXPORT_ACTIONS = sorted({Action.EXPORT, Action.DOWNLOAD})


class MonthRefused(ValidationError):
    """The month asked for cannot be reported; the message says why, in the user's words."""


# --- The month: pure functions ----------------------------------------------------------------


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def default_month(today: dt.date) -> dt.date:
    """The last month that is over: the one before today's."""
    return previous_month(first_of(today))


def parse_month(text: str, today: dt.date) -> dt.date:
    """``"2026-11"`` -> 1 November 2026; refused (with the reason) when it is not a month, is
    before tsuen kept a log, or has not begun by ``today``."""
    found = _MONTH.fullmatch((text or "").strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise MonthRefused(_("Give the month as year and month, for example 2026-11."))
    month = dt.date(int(found[1]), int(found[2]), 1)
    if month < FIRST_MONTH:
        raise MonthRefused(
            _("There is no report before %(month)s.") % {"month": f"{FIRST_MONTH:%Y-%m}"}
        )
    if month > first_of(today):
        raise MonthRefused(_("That month has not begun yet: there is nothing to report."))
    return month


def is_over(month: dt.date, today: dt.date) -> bool:
    return next_month(month) <= today


def month_window(month: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool]:
    """The first moment of the month and the end of the report's count (the first moment of the
    next month, or ``now`` while the month is not over), Japan time, and whether it is over."""
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time.min))
    return start, min(end, now), end <= now


# --- The figures ------------------------------------------------------------------------------


@dataclasses.dataclass
class StaffMember:
    name: str
    email: str
    role: str
    facility: str


@dataclasses.dataclass
class SecondFactors:
    """The ward's and its facilities' active staff accounts, counted when the report is made."""

    total: int
    with_factor: int
    with_totp: int
    without: int
    #: Those without a second factor (None: the reader sees counts only).
    missing: list[StaffMember] | None


@dataclasses.dataclass
class AnomalyLine:
    rule: str
    label: str
    open: int = 0
    explained: int = 0
    escalated: int = 0

    @property
    def total(self) -> int:
        return self.open + self.explained + self.escalated


@dataclasses.dataclass
class PurgeLine:
    number: int
    status: str
    requested_at: dt.datetime
    finished_at: dt.datetime | None
    deleted: int
    sha256: str

    @property
    def status_label(self) -> str:
        from tsuen.retention.models import RunStatus

        return str(RunStatus(self.status).label)


@dataclasses.dataclass
class ChainHead:
    seq: int
    hash: str
    key_version: int | None
    at: dt.datetime


@dataclasses.dataclass
class Report:
    ward: Municipality
    month: dt.date
    start: dt.datetime
    end: dt.datetime
    over: bool
    made_at: dt.datetime
    with_names: bool
    events: int
    logins: int
    login_accounts: int
    failed_logins: int
    lockouts: int
    denials: int
    denied_at_login: int
    denied_in_session: int
    sensitive_reads: int
    sensitive_readers: int
    export_requests: int
    export_rows: int
    staff: SecondFactors
    anomalies: list[AnomalyLine]
    purge_runs: list[PurgeLine]
    backups: dict
    head: ChainHead | None

    @property
    def in_progress(self) -> bool:
        return not self.over

    @property
    def last_day(self) -> dt.date:
        """The last day counted (the month's last day once it is over)."""
        return timezone.localdate(self.end - dt.timedelta(microseconds=1))

    @property
    def other_denials(self) -> int:
        return self.denials - self.denied_at_login - self.denied_in_session

    @property
    def anomalies_total(self) -> AnomalyLine:
        total = AnomalyLine("", _("Total"))
        for line in self.anomalies:
            total.open += line.open
            total.explained += line.explained
            total.escalated += line.escalated
        return total

    @property
    def month_code(self) -> str:
        return f"{self.month:%Y-%m}"


def _in_month(ward_id: int, start: dt.datetime, end: dt.datetime):
    return AuditEvent.objects.filter(
        municipality_id=ward_id, occurred_at__gte=start, occurred_at__lt=end
    )


def log_figures(ward_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """The month's logins, failures, lockouts, denials and exports: one aggregate query."""

    def count(action, **more):
        return Count("id", filter=Q(action=action, **more))

    exports = Q(action__in=EXPORT_ACTIONS)
    return _in_month(ward_id, start, end).aggregate(
        events=Count("id"),
        logins=count(Action.LOGIN),
        login_accounts=Count("actor_id", distinct=True, filter=Q(action=Action.LOGIN)),
        failed_logins=count(Action.LOGIN_FAILED),
        lockouts=count(Action.LOCKOUT),
        denials=count(Action.DENIED),
        # The password step refuses a right password from outside the staff networks (the
        # account is the object); a session that moved outside is refused with no object.
        denied_at_login=count(Action.DENIED, object_type="accounts.user"),
        denied_in_session=count(Action.DENIED, object_type=""),
        export_requests=Count("request_id", distinct=True, filter=exports),
        export_rows=Count("id", filter=exports),
    )


_FIELD_NAMES = {
    "postgresql": "CROSS JOIN LATERAL jsonb_array_elements_text(e.field_names) AS f(value)",
    "sqlite": "CROSS JOIN json_each(e.field_names) AS f",
}


def sensitive_reads(ward_id: int, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """Reads (read, list, export, download) that named an S-class field of the data inventory:
    (events, accounts). The events are chosen by the ORM's SQL; their field names are matched
    in the database against the inventory's S fields of the event's object type."""
    from tsuen.monitoring.detect import sensitive_by_object_type

    sensitive = sensitive_by_object_type()
    if not sensitive:
        return 0, 0
    events = _in_month(ward_id, start, end).filter(
        action__in=sorted(READ_ACTIONS), object_type__in=sorted(sensitive)
    )
    inner, params = events.values("id").query.sql_with_params()
    matches, names = [], []
    for object_type, fields in sorted(sensitive.items()):
        marks = ", ".join(["%s"] * len(fields))
        matches.append(f"(e.object_type = %s AND f.value IN ({marks}))")
        names += [object_type, *sorted(fields)]
    sql = (
        "SELECT COUNT(DISTINCT e.id), COUNT(DISTINCT e.actor_id) "  # noqa: S608  # nosec B608
        f"FROM audit_auditevent e {_FIELD_NAMES[connection.vendor]} "
        f"WHERE e.id IN ({inner}) AND ({' OR '.join(matches)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *names])
        reads, readers = cursor.fetchone()
    return reads or 0, readers or 0


def _staff(ward_id: int):
    return User.objects.filter(
        Q(municipality_id=ward_id, role__in=sorted(MUNICIPAL_ROLES))
        | Q(facility__municipality_id=ward_id, role__in=sorted(FACILITY_ROLES)),
        is_active=True,
    ).exclude(pk__in=api_system_users())  # an API client's system user signs in with its token


def second_factors(ward_id: int, *, with_names: bool) -> SecondFactors:
    """The ward's and its facilities' active staff with and without a second factor (TOTP or
    a passkey, as the sign-in demands), counted now; the names of those without if asked."""
    from allauth.mfa.models import Authenticator

    from tsuen.accounts.adapters import SECOND_FACTOR_TYPES

    factors = Authenticator.objects.filter(user_id=OuterRef("pk"))
    staff = _staff(ward_id).annotate(
        has_factor=Exists(factors.filter(type__in=SECOND_FACTOR_TYPES)),
        has_totp=Exists(factors.filter(type=Authenticator.Type.TOTP)),
    )
    counts = staff.aggregate(
        total=Count("id"),
        with_factor=Count("id", filter=Q(has_factor=True)),
        with_totp=Count("id", filter=Q(has_totp=True)),
    )
    missing = None
    if with_names:
        rows = (
            staff.filter(has_factor=False)
            .select_related("facility")
            .order_by("facility__name", "role", "full_name", "email")
        )
        missing = [
            StaffMember(
                u.full_name,
                u.email,
                str(Role(u.role).label),
                u.facility.name if u.facility_id else "",
            )
            for u in rows
        ]
    return SecondFactors(
        counts["total"],
        counts["with_factor"],
        counts["with_totp"],
        counts["total"] - counts["with_factor"],
        missing,
    )


def anomalies(ward_id: int, start: dt.datetime, end: dt.datetime) -> list[AnomalyLine]:
    """The anomalies found in windows that began in the month, per rule and disposition (as
    disposed of now)."""
    from tsuen.monitoring.models import Anomaly, Rule

    lines = {rule.value: AnomalyLine(rule.value, str(rule.label)) for rule in Rule}
    rows = (
        Anomaly.unscoped.filter(municipality_id=ward_id, window_start__gte=start)
        .filter(window_start__lt=end)
        .values("rule", "disposition")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        line = lines.get(row["rule"])
        if line is not None:
            setattr(line, row["disposition"], row["n"])
    return list(lines.values())


def purge_runs(ward_id: int, start: dt.datetime, end: dt.datetime) -> list[PurgeLine]:
    """The ward's purge runs asked for or executed in the month (no names)."""
    from tsuen.retention.models import PurgeRun

    in_month = Q(requested_at__gte=start, requested_at__lt=end) | Q(
        finished_at__gte=start, finished_at__lt=end
    )
    runs = PurgeRun.unscoped.filter(in_month, municipality_id=ward_id).order_by("requested_at")
    fields = ("pk", "status", "requested_at", "finished_at", "deleted", "report_sha256")
    return [
        PurgeLine(
            pk,
            status,
            requested,
            finished,
            sum(sum(rows.values()) for rows in (deleted or {}).values()),
            sha256,
        )
        for pk, status, requested, finished, deleted, sha256 in runs.values_list(*fields)
    ]


def chain_head(ward_id: int) -> ChainHead | None:
    """The ward's chain head now (as ``manage.py publish_audit_heads`` publishes it), with the
    version of the audit key that sealed its last event."""
    head = AuditChainHead.objects.filter(key=chain_key(ward_id), seq__gt=0).first()
    if head is None:
        return None
    version = (
        AuditEvent.objects.filter(chain_id=head.pk, seq=head.seq)
        .values_list("key_version", flat=True)
        .first()
    )
    return ChainHead(head.seq, head.head_hash, version, clock.now())


def build(ward: Municipality, month: dt.date, *, with_names: bool) -> Report:
    """The ward's report of ``month`` as it stands now (no authorization: see :func:`view`)."""
    from tsuen.backups.services import last_runs

    now = clock.now()
    start, end, over = month_window(month, now)
    figures = log_figures(ward.pk, start, end)
    reads, readers = sensitive_reads(ward.pk, start, end)
    return Report(
        ward=ward,
        month=month,
        start=start,
        end=end,
        over=over,
        made_at=now,
        with_names=with_names,
        sensitive_reads=reads,
        sensitive_readers=readers,
        staff=second_factors(ward.pk, with_names=with_names),
        anomalies=anomalies(ward.pk, start, end),
        purge_runs=purge_runs(ward.pk, start, end),
        backups=last_runs(before=end),
        head=chain_head(ward.pk),
        **figures,
    )


# --- Who may read it --------------------------------------------------------------------------


def ward_for(user, municipality_id: int) -> Municipality:
    """The ward whose report the user may read; 404 otherwise."""
    return get_or_404(user, Can.OPS_REPORT_VIEW, Municipality.objects.all(), pk=municipality_id)


def month_asked(text: str | None) -> dt.date:
    today = clock.today()
    return default_month(today) if not text else parse_month(text, today)


def view(user, municipality_id: int, month: dt.date) -> Report:
    """The report for the screen, recorded as read."""
    ward = ward_for(user, municipality_id)
    found = build(ward, month, with_names=allows(user, Can.OPS_REPORT_NAMES, ward))
    record(Action.READ, ward)
    return found


def download(user, municipality_id: int, month: dt.date) -> tuple[Report, bytes]:
    """The report as a PDF, recorded as downloaded with the PDF's SHA-256."""
    import hashlib

    from tsuen.opsreport.pdf import render_report

    ward = ward_for(user, municipality_id)
    found = build(ward, month, with_names=allows(user, Can.OPS_REPORT_NAMES, ward))
    data = render_report(found)
    record(Action.DOWNLOAD, ward, document_sha256=hashlib.sha256(data).hexdigest())
    return found, data


def file_name(report: Report) -> str:
    return f"operations-report-{report.ward.code}-{report.month_code}.pdf"
