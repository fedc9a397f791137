"""The ward's dashboard: what the staff of one municipality need to see at a glance.

Every figure is counted in the database (``Count``/``Sum`` with filters, ``TruncMonth``), so
the page runs a fixed number of queries whatever the ward's size. The aggregates are for every
member of the ward's staff and the auditor (``MUNICIPALITY_STATS_VIEW``); the two person lists
(children near an hours cap, children who never or no longer come) are for the ward's case
workers only (``OUTREACH_VIEW`` on the child) and leave an audit event per child listed.

Two populations, on purpose: *use per facility* counts every visit at the ward's facilities
(whoever comes); the *trend*, the *near-cap* and the *outreach* lists are about the ward's own
certified children (wherever they go).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractHour, ExtractMinute, TruncMonth
from django.utils import timezone

from tsuen import rules
from tsuen.audit import record_many
from tsuen.authz.policy import Action, allows_any, filter_allowed, require
from tsuen.certification.models import WAITING, Application, Certification, CertificationStatus
from tsuen.core import clock
from tsuen.facilities.models import Facility, PlaceSlot
from tsuen.families.models import Child
from tsuen.municipalities.models import Municipality, rules_for
from tsuen.reports.figures import as_date, columns, summed, union
from tsuen.reports.models import ChildDay, ChildMonth, FacilityMonth, VisitChange, WardDay

#: A certified child appears in the near-cap list from this share of a cap.
NEAR_CAP_PERCENT = 80
#: A certified child whose last attended visit is older than this appears in the outreach list.
OUTREACH_DAYS = 60
TREND_MONTHS = 12
#: Fields of a child the person lists show (for the audit trail).
LISTED_FIELDS = ("family_name", "given_name", "birth_date")
SORTS = ("name", "visits", "booked", "attended", "filled")


def hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal: 450 -> "7.5", 600 -> "10"."""
    value = round((minutes or 0) / 60, 1)
    return f"{value:g}" if value != int(value) else str(int(value))


# --- 1. Applications waiting ------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    total: int
    oldest: dt.datetime | None
    oldest_days: int | None
    under_7: int
    days_7_14: int
    days_15_30: int
    over_30: int

    @property
    def ages(self) -> list[tuple[str, int]]:
        from django.utils.translation import gettext as _

        return [
            (_("Under 7 days"), self.under_7),
            (_("7 to 14 days"), self.days_7_14),
            (_("15 to 30 days"), self.days_15_30),
            (_("Over 30 days"), self.over_30),
        ]


def waiting(municipality_id: int, today: dt.date) -> Waiting:
    """Applications submitted or sent back for correction, by age since submission (days)."""

    def submitted(first: int, last: int | None = None) -> Q:
        q = Q(submitted_at__date__lte=today - dt.timedelta(days=first))
        if last is not None:
            q &= Q(submitted_at__date__gte=today - dt.timedelta(days=last))
        return q

    figures = Application.objects.filter(municipality_id=municipality_id, status__in=WAITING)
    figures = figures.aggregate(
        total=Count("pk"),
        oldest=Min("submitted_at"),
        under_7=Count("pk", filter=submitted(0, 6)),
        days_7_14=Count("pk", filter=submitted(7, 14)),
        days_15_30=Count("pk", filter=submitted(15, 30)),
        over_30=Count("pk", filter=submitted(31)),
    )
    oldest = figures["oldest"]
    oldest_days = None if oldest is None else (today - timezone.localtime(oldest).date()).days
    return Waiting(oldest_days=oldest_days, **figures)


# --- 3. Use per facility ----------------------------------------------------------------------


@dataclass(frozen=True)
class FacilityUse:
    facility: Facility
    visits: int
    booked_minutes: int
    attended_minutes: int
    booked_place_minutes: int
    offered_place_minutes: int

    @property
    def filled_percent(self) -> float | None:
        """Booked place-minutes over offered place-minutes, in % (None when nothing offered)."""
        if not self.offered_place_minutes:
            return None
        return round(100 * self.booked_place_minutes / self.offered_place_minutes, 1)

    booked_hours = property(lambda self: hours(self.booked_minutes))
    attended_hours = property(lambda self: hours(self.attended_minutes))

    def sort_key(self, sort: str):
        return {
            "name": (self.facility.name_kana or self.facility.name, self.facility.pk),
            "visits": (-self.visits, self.facility.pk),
            "booked": (-self.booked_minutes, self.facility.pk),
            "attended": (-self.attended_minutes, self.facility.pk),
            "filled": (-(self.filled_percent or 0), self.facility.pk),
        }[sort]


def _minutes_of_day(field: str):
    return ExtractHour(field) * 60 + ExtractMinute(field)


def facility_use(municipality_id: int, month: dt.date, sort: str = "name") -> list[FacilityUse]:
    """Per facility of the ward, for the month holding ``month``: visits (attended), booked and
    attended child-minutes, and booked place-minutes over offered place-minutes (each slot's
    places times its length). Three queries; the visits are read from the month's summary
    (one row a facility) and the changes not folded yet (:mod:`tsuen.reports.figures`)."""
    first, last = rules.month_bounds(month)
    facilities = list(Facility.objects.filter(municipality_id=municipality_id))
    names = dict(k_facility="facility_id", s_visits="visits", s_booked="booked_minutes")
    names["s_attended"] = "attended_minutes"
    use = {
        facility_id: {"visits": visits, "booked": booked, "attended": attended}
        for facility_id, visits, booked, attended in summed(
            ["k_facility"],
            {"visits": "SUM(s_visits)", "booked": "SUM(s_booked)", "attended": "SUM(s_attended)"},
            [
                columns(
                    FacilityMonth.objects.filter(
                        facility__municipality_id=municipality_id, month=first
                    ),
                    **names,
                ),
                columns(
                    VisitChange.objects.filter(
                        facility__municipality_id=municipality_id, date__range=(first, last)
                    ),
                    **names,
                ),
            ],
        )
    }
    slot_minutes = ExpressionWrapper(
        F("capacity") * (_minutes_of_day("ends_at") - _minutes_of_day("starts_at")),
        output_field=IntegerField(),
    )
    offered = dict(
        PlaceSlot.objects.filter(
            facility__in=Facility.objects.filter(municipality_id=municipality_id).values("pk"),
            date__range=(first, last),
        )
        .values("facility_id")
        .annotate(minutes=Sum(slot_minutes))
        .order_by()
        .values_list("facility_id", "minutes")
    )
    rows = [
        FacilityUse(
            facility=f,
            visits=use.get(f.pk, {}).get("visits") or 0,
            booked_minutes=use.get(f.pk, {}).get("booked") or 0,
            attended_minutes=use.get(f.pk, {}).get("attended") or 0,
            booked_place_minutes=use.get(f.pk, {}).get("booked") or 0,
            offered_place_minutes=offered.get(f.pk) or 0,
        )
        for f in facilities
    ]
    return sorted(rows, key=lambda row: row.sort_key(sort if sort in SORTS else "name"))


# --- 4. Children near a cap -------------------------------------------------------------------


@dataclass(frozen=True)
class NearCap:
    child_id: int
    period: rules.Period
    used_minutes: int
    limit_minutes: int
    child: Child | None = None  # filled for case workers only

    @property
    def percent(self) -> int:
        return self.used_minutes * 100 // self.limit_minutes

    used_hours = property(lambda self: hours(self.used_minutes))
    limit_hours = property(lambda self: hours(self.limit_minutes))
    is_monthly = property(lambda self: self.period is rules.Period.MONTH)


def cap_usage(municipality_id: int, periods: list[tuple[dt.date, dt.date]]) -> dict[int, list[int]]:
    """The minutes each certified child of the ward has counted towards the caps (used and
    booked, exactly as the booking service counts them) in each period (whole months), for the
    children with any in those months. One statement: the children's months (one summary row a
    child and month) and the changes not folded yet."""
    first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    certified = Certification.objects.filter(
        municipality_id=municipality_id, status=CertificationStatus.ACTIVE
    ).values("child_id")
    names = dict(k_child="child_id", k_day="month", s_minutes="counting_minutes")
    rows = summed(
        ["k_child"],
        {
            f"cap{i}": "SUM(CASE WHEN k_day BETWEEN %s AND %s THEN s_minutes ELSE 0 END)"
            for i in range(len(periods))
        },
        [
            columns(
                ChildMonth.unscoped.filter(child_id__in=certified, month__range=(first, last)),
                **names,
            ),
            columns(
                VisitChange.unscoped.filter(child_id__in=certified, date__range=(first, last)),
                **(names | {"k_day": "date"}),
            ),
        ],
        sums_params=tuple(
            connection.ops.adapt_datefield_value(day) for bounds in periods for day in bounds
        ),
    )
    return {row[0]: [minutes or 0 for minutes in row[1:]] for row in rows}


def near_cap(municipality_id: int, today: dt.date) -> list[NearCap]:
    """Certified children of the ward whose counted minutes (:func:`cap_usage`) reach
    ``NEAR_CAP_PERCENT`` % of a cap of the ward's policy in the cap's period holding ``today``.
    The highest share per child is kept."""
    policy = rules_for(municipality_id, today)
    periods = [rules.period_bounds(cap.period, today) for cap in policy.caps]
    found = []
    for child_id, used in cap_usage(municipality_id, periods).items():
        reached = [
            NearCap(child_id, cap.period, used[i], cap.limit_minutes)
            for i, cap in enumerate(policy.caps)
            if rules.reaches_share_of_cap(used[i], cap.limit_minutes, NEAR_CAP_PERCENT)
        ]
        if reached:
            found.append(max(reached, key=lambda n: n.used_minutes / n.limit_minutes))
    return found


# --- 5. Outreach ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outreach:
    child: Child
    certification: Certification
    age_class: int
    last_visit: dt.date | None

    @property
    def days_since(self) -> int | None:
        return None if self.last_visit is None else (clock.today() - self.last_visit).days


#: The children who came since the cut-off (three parameters, the cut-off). A child without
#: changes not folded yet: its last visit as of the fold (``reports_childlast``). A child with
#: changes: a day since the cut-off whose attended visits, summary plus changes, are above zero.
#: Not correlated with the certifications: the planner reads it once into a hash. Our own SQL;
#: the values are parameters.
_CAME_SINCE = (
    "SELECT l.child_id FROM reports_childlast l WHERE l.last_visit >= %s "
    "AND l.child_id NOT IN (SELECT child_id FROM reports_visitchange) "
    "UNION ALL SELECT x.k_child FROM ("
    "SELECT d.child_id AS k_child, d.date AS k_day, d.visits AS s_visits "
    "FROM reports_childday d WHERE d.date >= %s "
    "AND d.child_id IN (SELECT child_id FROM reports_visitchange) "
    "UNION ALL SELECT v.child_id, v.date, v.visits FROM reports_visitchange v WHERE v.date >= %s"
    ") AS x GROUP BY x.k_child, x.k_day HAVING SUM(x.s_visits) > 0"
)


def _last_visits(ids: list[int]) -> dict[int, dt.date]:
    """The day of the last attended visit of each of these children that ever came."""
    names = dict(k_child="child_id", k_day="date", s_visits="visits")
    history, params = union(
        [
            columns(model.unscoped.filter(child_id__in=ids), **names)
            for model in (ChildDay, VisitChange)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k_child, MAX(k_day) FROM (SELECT k_child, k_day FROM "  # noqa: S608  # nosec B608
            f"({history}) AS x GROUP BY k_child, k_day HAVING SUM(s_visits) > 0) AS y "
            "GROUP BY k_child",
            params,
        )
        last_visits = {child: as_date(day) for child, day in cursor.fetchall()}
    return last_visits


def outreach(user, municipality_id: int, today: dt.date) -> list[Outreach]:
    """Certified children of the ward who never came (no attended visit) or whose last attended
    visit is more than ``OUTREACH_DAYS`` days ago. Case workers only. Two queries: the
    certifications of children with no attended visit since the cut-off (an anti-join with
    the children who came: their last visit as of the fold, or their days when they have
    changes not folded yet), then the last attended visit of those children (one grouped
    ``Max``)."""
    allowed = filter_allowed(user, Action.OUTREACH_VIEW, Child.objects.all()).values("pk")
    listed = Certification.objects.filter(
        municipality_id=municipality_id, status=CertificationStatus.ACTIVE, child__in=allowed
    )
    cutoff = connection.ops.adapt_datefield_value(today - dt.timedelta(days=OUTREACH_DAYS))
    came = RawSQL(_CAME_SINCE, (cutoff, cutoff, cutoff))  # noqa: S611  # nosec B611
    certifications = list(listed.exclude(child_id__in=came).select_related("child"))
    ids = [c.child_id for c in certifications]
    last_visits = _last_visits(ids) if ids else {}
    fiscal_year = rules.fiscal_year_of(today)
    rows = [
        Outreach(
            c.child,
            c,
            rules.age_class(c.child.birth_date, fiscal_year),
            last_visits.get(c.child_id),
        )
        for c in certifications
    ]
    # Never came first, then the longest absent; ties by certification date.
    return sorted(
        rows,
        key=lambda o: (o.last_visit or dt.date.min, o.certification.valid_from, o.certification.pk),
    )


# --- 6. The monthly trend ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendMonth:
    month: dt.date
    visits: int
    minutes: int
    new_certifications: int

    child_hours = property(lambda self: hours(self.minutes))


def _months_back(today: dt.date, count: int) -> list[dt.date]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _month_key(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def trend(municipality_id: int, today: dt.date) -> list[TrendMonth]:
    """The last ``TREND_MONTHS`` months (this one included): visits and child-hours of the ward's
    children, and certifications made by the ward. Two queries; the visits are read from the
    ward's days (one summary row a day) and the changes not folded yet."""
    months = _months_back(today, TREND_MONTHS)
    first = months[0]
    names = dict(k_day="date", s_visits="visits", s_minutes="attended_minutes")
    visits: dict[dt.date, dict[str, int]] = {}
    for day, count, minutes in summed(
        ["k_day"],
        {"visits": "SUM(s_visits)", "minutes": "SUM(s_minutes)"},
        [
            columns(
                model.objects.filter(ward_id=municipality_id, date__range=(first, today)), **names
            )
            for model in (WardDay, VisitChange)
        ],
    ):
        month = visits.setdefault(as_date(day).replace(day=1), {"visits": 0, "minutes": 0})
        month["visits"] += count
        month["minutes"] += minutes
    certified = {
        _month_key(row["month"]): row["count"]
        for row in Certification.objects.filter(
            municipality_id=municipality_id, certified_at__date__gte=first
        )
        .annotate(month=TruncMonth("certified_at"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by()
    }
    return [
        TrendMonth(
            m,
            visits.get(m, {}).get("visits") or 0,
            visits.get(m, {}).get("minutes") or 0,
            certified.get(m, 0),
        )
        for m in months
    ]


# --- The page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    municipality: Municipality
    today: dt.date
    month: dt.date
    sort: str
    waiting: Waiting
    certified_children: int
    facilities: list[FacilityUse]
    near_cap_count: int
    trend: list[TrendMonth]
    shows_people: bool
    near_cap: list[NearCap]
    outreach: list[Outreach]


def dashboard(user, month: dt.date | None = None, sort: str = "name") -> Dashboard:
    """The dashboard of the user's own ward (404 for anyone without the ward's statistics).

    The aggregates for staff and auditor; the person lists only when the user may see them
    (``OUTREACH_VIEW``), each listed child recorded in the audit trail."""
    require(user, Action.MUNICIPALITY_STATS_VIEW, Municipality)
    municipality = user.municipality
    mid = municipality.pk
    today = clock.today()
    month = (month or today).replace(day=1)
    near = near_cap(mid, today)
    shows_people = allows_any(user, Action.OUTREACH_VIEW, Child)
    near_listed: list[NearCap] = []
    outreach_rows: list[Outreach] = []
    if shows_people:
        children = filter_allowed(user, Action.OUTREACH_VIEW, Child.objects.all()).in_bulk(
            [n.child_id for n in near]
        )
        near_listed = sorted(
            (
                NearCap(n.child_id, n.period, n.used_minutes, n.limit_minutes, children[n.child_id])
                for n in near
                if n.child_id in children
            ),
            key=lambda n: (-n.used_minutes / n.limit_minutes, n.child_id),
        )
        outreach_rows = outreach(user, mid, today)
        listed = {n.child.pk: n.child for n in near_listed} | {
            o.child.pk: o.child for o in outreach_rows
        }
        record_many("list", listed.values(), fields=LISTED_FIELDS)
    return Dashboard(
        municipality=municipality,
        today=today,
        month=month,
        sort=sort if sort in SORTS else "name",
        waiting=waiting(mid, today),
        certified_children=Certification.objects.filter(
            municipality_id=mid, status=CertificationStatus.ACTIVE
        ).count(),
        facilities=facility_use(mid, month, sort),
        near_cap_count=len(near),
        trend=trend(mid, today),
        shows_people=shows_people,
        near_cap=near_listed,
        outreach=outreach_rows,
    )
