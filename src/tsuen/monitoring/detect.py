"""Running the anomaly rules over a day of the audit log (SECURITY.md item 12).

Each rule is an aggregation over :class:`~tsuen.audit.models.AuditEvent` in SQL (counts per
ward, account or address, day or hour); the decision whether a figure is anomalous is a pure
function of :mod:`tsuen.monitoring.rules`. Only the municipalities' chains are read: the
national chain (the national operator's own work, failed logins of addresses with no account,
families' logins) has no ward official to answer for it.

An anomaly is kept once per ward, rule, account or address and window (the table's unique
constraint), so running the rules twice over the same day adds nothing: a second run only
brings the figures of an anomaly up to date when they grew (the day was not over at the
first run). See docs/monitoring.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from tsuen.accounts.models import FACILITY_ROLES, SECOND_FACTOR_ROLES
from tsuen.audit.actions import CHANGE_ACTIONS, READ_ACTIONS, Action
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.monitoring import rules
from tsuen.monitoring.models import Anomaly, Rule

#: Staff roles: every account that must pass a second factor (facility, ward, national).
STAFF_ROLES = sorted(SECOND_FACTOR_ROLES)
#: Reads and changes of personal data (the purge is the system's, not an account's).
ACCESS_ACTIONS = sorted((READ_ACTIONS | CHANGE_ACTIONS) - {Action.PURGE})
EXPORT_ACTIONS = sorted({Action.EXPORT, Action.DOWNLOAD})


@dataclasses.dataclass
class Found:
    """One anomaly as a rule finds it, before it is kept."""

    municipality_id: int
    rule: str
    window_start: dt.datetime
    window_end: dt.datetime
    figures: dict
    actor_id: int | None = None
    actor_role: str = ""
    source_address: str = ""

    @property
    def subject(self) -> str:
        if self.actor_id is not None:
            return f"account:{self.actor_id}"
        return f"address:{self.source_address}"


@dataclasses.dataclass
class RunResult:
    day: dt.date
    new: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    updated: int = 0
    unchanged: int = 0

    @property
    def total_new(self) -> int:
        return sum(self.new.values())


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of ``day``, Japan time (the site's time zone)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _in_day(day: dt.date):
    start, end = day_window(day)
    return AuditEvent.objects.filter(
        municipality_id__isnull=False, occurred_at__gte=start, occurred_at__lt=end
    )


def _is_holiday(day: dt.date) -> bool:
    from tsuen.facilities.calendar import holiday_name

    return bool(holiday_name(day))


# --- Rule 1 -----------------------------------------------------------------------------------


def off_hours(day: dt.date) -> list[Found]:
    """Staff reads and changes of a child's or guardian's data outside office hours: the
    whole day on a weekend or national holiday, else before 07:00 and from 21:00."""
    start, end = day_window(day)
    events = _in_day(day).filter(
        actor_id__isnull=False, actor_role__in=STAFF_ROLES, action__in=ACCESS_ACTIONS
    )
    events = events.exclude(subject_child_ids=[], subject_guardian_ids=[])
    if rules.is_office_day(day, holiday=_is_holiday(day)):
        opens = timezone.make_aware(dt.datetime.combine(day, rules.OFFICE_OPENS))
        closes = timezone.make_aware(dt.datetime.combine(day, rules.OFFICE_CLOSES))
        events = events.filter(Q(occurred_at__lt=opens) | Q(occurred_at__gte=closes))
    rows = (
        events.values("municipality_id", "actor_id", "actor_role")
        .annotate(events=Count("id"))
        .order_by()
    )
    return [
        Found(
            row["municipality_id"],
            Rule.OFF_HOURS,
            start,
            end,
            {"events": row["events"]},
            actor_id=row["actor_id"],
            actor_role=row["actor_role"],
        )
        for row in rows
    ]


# --- Rule 2 -----------------------------------------------------------------------------------

_UNNEST = {
    "postgresql": "CROSS JOIN LATERAL jsonb_array_elements(e.subject_child_ids) AS c(value)",
    "sqlite": "CROSS JOIN json_each(e.subject_child_ids) AS c",
}


def children_read(day: dt.date) -> dict[tuple[int, str], dict[int, int]]:
    """(ward, role) -> account -> distinct children whose data the account read that day."""
    events = _in_day(day).filter(
        actor_id__isnull=False, actor_role__in=STAFF_ROLES, action__in=sorted(READ_ACTIONS)
    )
    inner, params = events.values("id").query.sql_with_params()
    # The events are chosen by the ORM's own SQL (its parameters adapted for the database);
    # only the unnesting of the children's ids differs between the databases.
    sql = (
        "SELECT e.municipality_id, e.actor_role, e.actor_id, COUNT(DISTINCT c.value) "  # noqa: S608  # nosec B608
        f"FROM audit_auditevent e {_UNNEST[connection.vendor]} "
        f"WHERE e.id IN ({inner}) GROUP BY e.municipality_id, e.actor_role, e.actor_id"
    )
    counts: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for municipality_id, role, actor_id, children in cursor.fetchall():
            counts[municipality_id, role][actor_id] = children
    return counts


def volume(day: dt.date) -> list[Found]:
    start, end = day_window(day)
    found = []
    for (municipality_id, role), counts in children_read(day).items():
        for actor_id, peer_median in rules.volume_outliers(counts).items():
            figures = {
                "children": counts[actor_id],
                "peers": len(counts) - 1,
                "peer_median": peer_median,
            }
            found.append(
                Found(
                    municipality_id,
                    Rule.VOLUME,
                    start,
                    end,
                    figures,
                    actor_id=actor_id,
                    actor_role=role,
                )
            )
    return found


# --- Rule 3 -----------------------------------------------------------------------------------


def sensitive_by_object_type() -> dict[str, frozenset[str]]:
    """The data inventory's S-class fields, keyed by object type as the audit log writes it."""
    from tsuen.privacy.inventory import S, entries

    found: dict[str, set[str]] = defaultdict(set)
    for key in entries(S):
        label, field = key.rsplit(".", 1)
        found[label.lower()].add(field)
    return {label: frozenset(fields) for label, fields in found.items()}


def related_children(facility_id: int, children: set[int], day: dt.date) -> set[int]:
    """Of ``children``, those with a relationship to the facility around ``day``: a booking
    there dated from ``RELATIONSHIP_DAYS`` before the day onwards (in any status: a booking
    cancelled since was a relationship while it held), or a first interview there asked for,
    decided or held from that day on. As the rows stand when the rule runs."""
    from tsuen.authz.policy import RELATIONSHIP_DAYS
    from tsuen.booking.models import Booking
    from tsuen.facilities.models import Interview

    since_day = day - dt.timedelta(days=RELATIONSHIP_DAYS)
    since = day_window(since_day)[0]
    booked = Booking.unscoped.filter(
        facility_id=facility_id, child_id__in=children, date__gte=since_day
    ).values_list("child_id", flat=True)
    interviewed = (
        Interview.unscoped.filter(facility_id=facility_id, child_id__in=children)
        .filter(
            Q(requested_at__gte=since) | Q(decided_at__gte=since) | Q(slot__starts_at__gte=since)
        )
        .values_list("child_id", flat=True)
    )
    return set(booked) | set(interviewed)


def no_relationship(day: dt.date) -> list[Found]:
    """Facility staff reading a child's S-class fields with no booking or interview of the
    child at their facility around the day. The SQL narrows to facility staff's reads of the
    models that hold S-class fields; the field names are matched here."""
    from tsuen.accounts.models import User

    start, end = day_window(day)
    sensitive = sensitive_by_object_type()
    rows = (
        _in_day(day)
        .filter(
            actor_id__isnull=False,
            actor_role__in=sorted(FACILITY_ROLES),
            action__in=sorted(READ_ACTIONS),
            object_type__in=sorted(sensitive),
        )
        .values_list(
            "municipality_id", "actor_id", "actor_role", "object_type", "field_names",
            "subject_child_ids",
        )
    )  # fmt: skip
    read: dict[tuple[int, int, str], dict] = {}
    for municipality_id, actor_id, role, object_type, field_names, children in rows.iterator():
        if not children or not rules.sensitive_fields_read(object_type, field_names, sensitive):
            continue
        seen = read.setdefault((municipality_id, actor_id, role), {"events": [], "children": set()})
        seen["events"].append(set(children))
        seen["children"].update(children)
    facilities = dict(
        User.objects.filter(pk__in={actor for _, actor, _ in read}).values_list("pk", "facility_id")
    )
    found = []
    for (municipality_id, actor_id, role), seen in read.items():
        facility_id = facilities.get(actor_id)
        related = related_children(facility_id, seen["children"], day) if facility_id else set()
        unrelated = rules.unrelated_children(seen["children"], related)
        if not unrelated:
            continue
        events = sum(1 for children in seen["events"] if children & unrelated)
        found.append(
            Found(
                municipality_id,
                Rule.NO_RELATIONSHIP,
                start,
                end,
                {"events": events, "children": len(unrelated)},
                actor_id=actor_id,
                actor_role=role,
            )
        )
    return found


# --- Rule 4 -----------------------------------------------------------------------------------


def bulk_exports(day: dt.date) -> list[Found]:
    """Exports and file downloads by one staff account in a day: one export is one request
    (its rows are one event each)."""
    start, end = day_window(day)
    rows = (
        _in_day(day)
        .filter(actor_id__isnull=False, actor_role__in=STAFF_ROLES, action__in=EXPORT_ACTIONS)
        .values("municipality_id", "actor_id", "actor_role")
        .annotate(exports=Count("request_id", distinct=True), rows=Count("id"))
        .order_by()
    )
    return [
        Found(
            row["municipality_id"],
            Rule.BULK_EXPORT,
            start,
            end,
            {"exports": row["exports"], "rows": row["rows"]},
            actor_id=row["actor_id"],
            actor_role=row["actor_role"],
        )
        for row in rows
        if rules.is_bulk_export(row["exports"], row["rows"])
    ]


# --- Rule 5 -----------------------------------------------------------------------------------


def _hourly(events, *keys):
    return (
        events.annotate(hour=TruncHour("occurred_at", tzinfo=timezone.get_current_timezone()))
        .values("municipality_id", "hour", *keys)
        .annotate(n=Count("id"))
        .order_by()
    )


def denials(day: dt.date) -> list[Found]:
    """DENIED events reaching the threshold within any 60 minutes, per account and per source
    address. The SQL picks the day's refusals (and the hour before midnight, so that a burst
    across midnight is seen); the sliding window is :func:`rules.denial_bursts`. An anomaly's
    window is the clock hour (Japan time) in which the threshold was reached."""
    start, end = day_window(day)
    refused = AuditEvent.objects.filter(
        municipality_id__isnull=False,
        action=Action.DENIED,
        occurred_at__gte=start - rules.DENIALS_WINDOW,
        occurred_at__lt=end,
    ).values_list("municipality_id", "actor_id", "actor_role", "source_address", "occurred_at")
    by_account: dict[tuple, list[dt.datetime]] = defaultdict(list)
    by_address: dict[tuple, list[dt.datetime]] = defaultdict(list)
    for municipality_id, actor_id, role, address, when in refused.iterator():
        when = timezone.localtime(when)
        if actor_id is not None:
            by_account[municipality_id, actor_id, role].append(when)
        if address:
            by_address[municipality_id, address].append(when)
    found = []
    for key, times in [*by_account.items(), *by_address.items()]:
        for hour, count in rules.denial_bursts(times).items():
            if not start <= hour < end:
                continue  # reached before midnight: the day before's anomaly
            if len(key) == 3:
                who = {"actor_id": key[1], "actor_role": key[2]}
            else:
                who = {"source_address": key[1]}
            found.append(
                Found(
                    key[0],
                    Rule.DENIALS,
                    hour,
                    hour + dt.timedelta(hours=1),
                    {"denials": count},
                    **who,
                )
            )
    return found


def lockouts(day: dt.date) -> list[Found]:
    """Every lockout: per locked account (the event's object) and hour; a lockout that names
    no account stays on the national chain and is not read here."""
    from tsuen.accounts.models import User

    locked = _in_day(day).filter(action=Action.LOCKOUT, object_type="accounts.user")
    rows = list(_hourly(locked, "object_id"))
    roles = dict(
        User.objects.filter(pk__in={int(row["object_id"]) for row in rows}).values_list(
            "pk", "role"
        )
    )
    hour = dt.timedelta(hours=1)
    return [
        Found(
            row["municipality_id"],
            Rule.LOCKOUT,
            row["hour"],
            row["hour"] + hour,
            {"lockouts": row["n"]},
            actor_id=int(row["object_id"]),
            actor_role=roles.get(int(row["object_id"]), ""),
        )
        for row in rows
    ]


RULES = (off_hours, volume, no_relationship, bulk_exports, denials, lockouts)


# --- Keeping what was found -------------------------------------------------------------------


def keep(found: Found, now: dt.datetime) -> str:
    """Add the anomaly, or bring an existing one's figures up to date: "new", "updated" or
    "unchanged"."""
    key = {
        "municipality_id": found.municipality_id,
        "rule": found.rule,
        "subject": found.subject,
        "window_start": found.window_start,
    }
    existing = Anomaly.unscoped.filter(**key).first()
    if existing is None:
        try:
            with transaction.atomic():
                Anomaly.unscoped.create(
                    **key,
                    actor_id=found.actor_id,
                    actor_role=found.actor_role,
                    source_address=found.source_address,
                    window_end=found.window_end,
                    figures=found.figures,
                    found_at=now,
                )
            return "new"
        except IntegrityError:  # another run kept it meanwhile
            existing = Anomaly.unscoped.get(**key)
    if existing.figures == found.figures:
        return "unchanged"
    Anomaly.unscoped.filter(pk=existing.pk).update(figures=found.figures, updated_at=now)
    return "updated"


def detect(day: dt.date) -> RunResult:
    """Run every rule over ``day`` (Japan time) and keep what they find."""
    result = RunResult(day)
    now = clock.now()
    with transaction.atomic():
        for rule in RULES:
            for found in rule(day):
                outcome = keep(found, now)
                if outcome == "new":
                    result.new[found.rule] += 1
                elif outcome == "updated":
                    result.updated += 1
                else:
                    result.unchanged += 1
    return result


def default_days() -> list[dt.date]:
    """Yesterday and today so far (Japan time)."""
    today = timezone.localdate(clock.now())
    return [today - dt.timedelta(days=1), today]
