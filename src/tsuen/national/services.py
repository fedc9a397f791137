"""The national operator's work: municipalities, the national rate tables, aggregate figures.

Every operation takes the acting user and authorizes through ``tsuen.authz.policy`` (the
national operator only; everyone else gets 404). Changes are written in one transaction and
audited (on the national chain for rate tables, on the municipality's chain for a
municipality). Nothing here reads a child's or a family's values: the statistics are counts
grouped by municipality, with small counts suppressed (:func:`suppress`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsuen import rules
from tsuen.audit import record
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.core import clock
from tsuen.core.tenancy import cross_tenant
from tsuen.municipalities.models import Municipality, MunicipalPolicy
from tsuen.municipalities.services_settings import apply_changes
from tsuen.national.models import NationalRateTable

MUNICIPALITY_FIELDS = (
    "code",
    "name",
    "name_kana",
    "prefecture",
    "certificate_prefix",
    "service_name",
    "western_years",
)
#: Counts below this are shown as "< 5": a count of one or two can single out a family.
SMALL_CELL = 5
#: The fiscal years a rate table can be kept for (the programme starts in FY2025).
FIRST_YEAR, LAST_YEAR = 2025, 2100


# --- the rates billing uses -------------------------------------------------------------------


def national_rates(fiscal_year: int) -> rules.BenefitRates:
    """The national rate table of a fiscal year: the operator's row when there is one, else the
    built-in table (``RuleError`` when neither exists). One query; billing passes the result
    into the pure rules."""
    row = NationalRateTable.objects.filter(fiscal_year=fiscal_year).first()
    return row.to_rules() if row is not None else rules.national_rates(fiscal_year)


# --- municipalities -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalityFilters:
    prefecture: str = ""
    code: str = ""
    name: str = ""


def municipalities(user, filters: MunicipalityFilters):
    """The municipalities, filtered by prefecture, code prefix and name (or its reading)."""
    require(user, Action.MUNICIPALITY_MANAGE, Municipality)
    rows = filter_allowed(user, Action.MUNICIPALITY_MANAGE, Municipality.objects.all())
    if filters.prefecture:
        rows = rows.filter(prefecture=filters.prefecture)
    if filters.code:
        rows = rows.filter(code__startswith=filters.code.strip())
    if filters.name:
        name = filters.name.strip()
        rows = rows.filter(Q(name__contains=name) | Q(name_kana__contains=name))
    return rows.order_by("code")


def may_manage_municipalities(user) -> None:
    """404 unless the user manages municipalities (for the blank form)."""
    require(user, Action.MUNICIPALITY_MANAGE, Municipality)


def municipality(user, municipality_id: int) -> Municipality:
    return get_or_404(
        user, Action.MUNICIPALITY_MANAGE, Municipality.objects.all(), pk=municipality_id
    )


def _duplicate() -> ValidationError:
    """The code was taken between the form's check and the write (the unique constraint)."""
    return ValidationError(_("This municipality code is already registered."), code="unique")


def create_municipality(user, data: dict) -> Municipality:
    """A new municipality with its policy for the current fiscal year from the national
    defaults (effective from 1 April), so that its ward can start at once."""
    require(user, Action.MUNICIPALITY_MANAGE, Municipality)
    fiscal_year = rules.fiscal_year_of(clock.today())
    try:
        with transaction.atomic():
            created = Municipality.objects.create(**{k: data[k] for k in MUNICIPALITY_FIELDS})
            policy = MunicipalPolicy.from_rules(
                created,
                rules.national_default_policy(fiscal_year),
                rules.fiscal_year_bounds(fiscal_year)[0],
            )
            policy.created_by = user
            policy.save()
            record("create", created, MUNICIPALITY_FIELDS)
            record("create", policy, ("fiscal_year", "effective_from"))
    except IntegrityError:
        raise _duplicate() from None
    return created


def update_municipality(user, municipality_id: int, data: dict) -> Municipality:
    with transaction.atomic():
        row = get_or_404(
            user,
            Action.MUNICIPALITY_MANAGE,
            Municipality.objects.select_for_update(),
            pk=municipality_id,
        )
        try:
            with transaction.atomic():
                # The same write as the ward's own settings screen: changed fields, audited.
                apply_changes(row, data, MUNICIPALITY_FIELDS)
        except IntegrityError:
            raise _duplicate() from None
    return row


# --- national rate tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class RateYear:
    fiscal_year: int
    table: NationalRateTable  # the stored row, or an unsaved one holding the built-in table
    stored: bool
    locked: bool  # claims of the year were submitted: the table can no longer change


def _submitted_claims(fiscal_years) -> set[int]:
    """The fiscal years among ``fiscal_years`` with a claim past draft."""
    from tsuen.billing.models import Claim, ClaimStatus

    years = set()
    fiscal_years = set(fiscal_years)
    rows = (
        Claim.unscoped.filter(year__in=fiscal_years | {fy + 1 for fy in fiscal_years})
        .exclude(status=ClaimStatus.DRAFT)
        .values_list("year", "month")
        .distinct()
        .order_by()
    )
    for year, month in rows:
        years.add(year if month >= 4 else year - 1)
    return years & fiscal_years


def _built_in(fiscal_year: int) -> NationalRateTable:
    try:
        return NationalRateTable.from_rules(fiscal_year, rules.national_rates(fiscal_year))
    except rules.RuleError:  # no built-in table that year: start from the latest one
        latest = max(rules.NATIONAL_RATES)
        return NationalRateTable.from_rules(fiscal_year, rules.NATIONAL_RATES[latest])


def rate_years(user) -> list[RateYear]:
    """Each fiscal year with a table (built in or stored), and the next one, newest first."""
    require(user, Action.RATE_TABLE_MANAGE, NationalRateTable)
    stored = {
        t.fiscal_year: t
        for t in filter_allowed(user, Action.RATE_TABLE_MANAGE, NationalRateTable.objects.all())
    }
    years = set(rules.NATIONAL_RATES) | set(stored)
    years.add(max(max(years), rules.fiscal_year_of(clock.today())) + 1)
    locked = _submitted_claims(years)
    return [
        RateYear(fy, stored.get(fy) or _built_in(fy), fy in stored, fy in locked)
        for fy in sorted(years, reverse=True)
    ]


def rate_year(user, fiscal_year: int) -> RateYear:
    require(user, Action.RATE_TABLE_MANAGE, NationalRateTable)
    if not FIRST_YEAR <= fiscal_year <= LAST_YEAR:
        raise Http404
    stored = filter_allowed(
        user, Action.RATE_TABLE_MANAGE, NationalRateTable.objects.filter(fiscal_year=fiscal_year)
    ).first()
    locked = bool(_submitted_claims([fiscal_year]))
    return RateYear(fiscal_year, stored or _built_in(fiscal_year), stored is not None, locked)


RULE_MESSAGES = {
    "rates_invalid": gettext_lazy(
        "Give each amount as whole yen, 0 or more; give the first-visit adder for all three "
        "age classes, or leave all three empty when there is no such adder that year."
    ),
}


def save_rate_table(user, fiscal_year: int, amounts: dict) -> NationalRateTable:
    """Write the year's table after checking it with the rules.

    Refused (ValidationError) once a claim of that fiscal year has been submitted: the amounts
    of submitted claims must stay the amounts of the table they were priced with. Changes after
    that are made by the legislator's correction procedure, not here.
    """
    require(user, Action.RATE_TABLE_MANAGE, NationalRateTable)
    with transaction.atomic():
        current = rate_year(user, fiscal_year)
        if current.locked:
            raise ValidationError(
                _("Claims of FY%(year)s have been submitted: its rate table can no longer change.")
                % {"year": fiscal_year},
                code="locked",
            )
        table = current.table
        changed = [k for k in NationalRateTable.AMOUNTS if getattr(table, k) != amounts[k]]
        for k in NationalRateTable.AMOUNTS:
            setattr(table, k, amounts[k])
        try:
            table.to_rules()
        except rules.RuleError as exc:
            message = RULE_MESSAGES.get(exc.code, _("These rates are not consistent."))
            raise ValidationError(message, code=exc.code) from None
        if current.stored and not changed:
            return table
        table.updated_by = user
        if not current.stored:
            table.created_by = user
            changed = list(NationalRateTable.AMOUNTS)
        table.save()
        record("update" if current.stored else "create", table, changed)
    return table


# --- aggregate statistics ------------------------------------------------------------------------


def suppress(count: int) -> int | str:
    """A count as it may be shown: below 5 it reads "< 5" (small-cell suppression)."""
    return count if count >= SMALL_CELL else "< 5"


@dataclass
class Figures:
    """Counts for one municipality or prefecture (raw; shown through :func:`suppress`)."""

    certified: int = 0
    facilities: int = 0
    visits: int = 0
    minutes: int = 0
    waiting: int = 0

    def add(self, other: Figures) -> None:
        for name in ("certified", "facilities", "visits", "minutes", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def shown(self) -> dict:
        """The counts with small cells suppressed; child-hours are suppressed with the visits
        they come from (a few visits' hours can point at one family)."""
        hours = round(self.minutes / 60, 1)
        return {
            "certified": suppress(self.certified),
            "facilities": suppress(self.facilities),
            "visits": suppress(self.visits),
            "hours": hours if self.visits >= SMALL_CELL else "< 5",
            "waiting": suppress(self.waiting),
        }


@dataclass
class Area:
    label: str
    code: str
    prefecture: str
    figures: Figures = field(default_factory=Figures)


@dataclass(frozen=True)
class Statistics:
    month_first: dt.date
    prefectures: list[Area]
    municipalities: list[Area]


def _last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def statistics(user, prefecture: str = "") -> Statistics:
    """Per municipality and per prefecture: children with an active certification, facilities,
    visits and child-hours (check-in to check-out) last month (children of the municipality,
    wherever they went), and
    applications waiting. Five queries whatever the number of rows."""
    require(user, Action.NATIONAL_STATS_VIEW, Municipality)
    with cross_tenant("national aggregate statistics: counts per municipality"):
        return _statistics(user, prefecture)


def _statistics(user, prefecture: str) -> Statistics:
    from tsuen.attendance.models import ATTENDED, VISIT_MINUTES
    from tsuen.booking.models import Booking
    from tsuen.certification.models import WAITING, Application, Certification
    from tsuen.facilities.models import Facility

    first, last = _last_month(clock.today())
    wards = filter_allowed(user, Action.NATIONAL_STATS_VIEW, Municipality.objects.all())
    if prefecture:
        wards = wards.filter(prefecture=prefecture)
    areas = {
        m["pk"]: Area(f"{m['prefecture']}{m['name']}", m["code"], m["prefecture"])
        for m in wards.order_by("code").values("pk", "code", "prefecture", "name")
    }

    def counts(queryset, key: str, **aggregate):
        within = queryset.filter(**{f"{key}__in": wards.values("pk")})
        return within.order_by().values(key).annotate(**aggregate)

    for row in counts(Certification.objects.filter(status="active"), "municipality_id",
                      n=Count("child_id", distinct=True)):  # fmt: skip
        areas[row["municipality_id"]].figures.certified = row["n"]
    for row in counts(Facility.objects.all(), "municipality_id", n=Count("pk")):
        areas[row["municipality_id"]].figures.facilities = row["n"]
    # Counted as on the ward's dashboard: attended bookings, and their billed minutes.
    visits = Booking.objects.filter(ATTENDED, date__range=(first, last)).annotate(
        ward=F("child__household__municipality_id")
    )
    for row in counts(visits, "ward", n=Count("pk"), time=Sum(VISIT_MINUTES)):
        areas[row["ward"]].figures.visits = row["n"]
        areas[row["ward"]].figures.minutes = row["time"] or 0
    waiting = Application.objects.filter(status__in=WAITING)
    for row in counts(waiting, "municipality_id", n=Count("pk")):
        areas[row["municipality_id"]].figures.waiting = row["n"]

    by_prefecture: dict[str, Area] = {}
    for area in areas.values():
        pref = by_prefecture.setdefault(area.prefecture, Area(area.prefecture, area.code[:2], ""))
        pref.figures.add(area.figures)
    return Statistics(
        first, sorted(by_prefecture.values(), key=lambda a: a.code), list(areas.values())
    )
