"""Open data (issue 13, item 6): the public facility list in the 子育て施設一覧 layout, and the
ward's register imported from such a file (preview, row-level problems, all or nothing).

Publishing reads only what ``Action.FACILITY_VIEW`` (anyone) allows, in the search's explicit
cross-tenant scope, and only facilities that are not suspended: the same list the public search
shows. Nothing about a child or a family is in a facility's row.

Importing is the register's own change (``Action.FACILITY_SUPERVISE``: the ward's
administrator), on the administrator's municipality only. :func:`plan_import` reads the file and
says what would happen; :func:`apply_import` recomputes that under the register's row locks,
refuses when the file has a problem or when the plan changed since it was shown
(``core.confirm``), and writes every row in one transaction, each facility audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils.translation import gettext as _

from tsuen.audit import record
from tsuen.authz.policy import Action, filter_allowed
from tsuen.core import confirm, tenancy
from tsuen.facilities import opendata
from tsuen.facilities.models import Facility, PlaceTemplate
from tsuen.facilities.services_staff import template_outside
from tsuen.facilities.services_ward import may_register

_PUBLIC = "facility information is published to everyone (Action.FACILITY_VIEW: anyone)"
#: A ward's register is a few hundred facilities: a few hundred kilobytes.
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
_CHUNK = 500


class BadMunicipalityCode(ValueError):
    pass


def municipality_filter(text: str | None) -> str | None:
    """The five-digit code of a ``?municipality=`` filter (131041 or 13104), None for none.
    Raises :class:`BadMunicipalityCode` for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) == 6 and text.isdigit() and opendata.check_digit(text[:5]) == text[5]:
        return text[:5]
    if len(text) == 5 and text.isdigit():
        return text
    raise BadMunicipalityCode(text)


def _published(user, municipality_code: str | None):
    facilities = filter_allowed(
        user, Action.FACILITY_VIEW, Facility.objects.filter(suspended=False)
    ).select_related("municipality")
    if municipality_code:
        facilities = facilities.filter(municipality__code=municipality_code)
    return facilities.order_by("municipality__code", "name_kana", "name", "pk")


def _template_figures(facility_ids: list[int]) -> dict[int, tuple[int, list[int]]]:
    """Per facility: the most places its weekly template offers in one time slot (all age
    classes), and the weekdays it offers any."""
    slots = (
        PlaceTemplate.objects.filter(facility_id__in=facility_ids)
        .values("facility_id", "weekday", "starts_at")
        .annotate(places=Sum("places"))
    )
    capacity: dict[int, int] = defaultdict(int)
    weekdays: dict[int, set[int]] = defaultdict(set)
    for slot in slots:
        capacity[slot["facility_id"]] = max(capacity[slot["facility_id"]], slot["places"])
        weekdays[slot["facility_id"]].add(slot["weekday"])
    return {pk: (capacity[pk], sorted(weekdays[pk])) for pk in capacity}


def published_rows(user, *, url_of, municipality_code: str | None = None) -> Iterator[dict]:
    """The published facilities as rows of the dataset (``opendata.HEADER``), read in chunks
    (a generator: a streamed response iterates it after the view has returned, so it opens its
    own scope). ``url_of(facility)`` is the absolute URL of the facility's public page."""
    with tenancy.cross_tenant(_PUBLIC):
        facilities = _published(user, municipality_code)
        start = 0
        while chunk := list(facilities[start : start + _CHUNK]):
            figures = _template_figures([facility.pk for facility in chunk])
            for facility in chunk:
                capacity, weekdays = figures.get(facility.pk, (None, []))
                yield opendata.facility_row(
                    facility, url=url_of(facility), capacity=capacity, weekdays=weekdays
                )
            start += _CHUNK


@dataclass(frozen=True)
class PublishedMunicipality:
    code: str  # six digits, as the dataset writes it
    name: str
    facilities: int


def published_municipalities(user) -> list[PublishedMunicipality]:
    """The municipalities with at least one published facility, for the open-data page."""
    from django.db.models import Count

    with tenancy.cross_tenant(_PUBLIC):
        counts = (
            _published(user, None)
            .order_by()
            .values("municipality__code", "municipality__prefecture", "municipality__name")
            .annotate(n=Count("pk"))
            .order_by("municipality__code")
        )
        return [
            PublishedMunicipality(
                opendata.full_code(row["municipality__code"]),
                f"{row['municipality__prefecture']}{row['municipality__name']}",
                row["n"],
            )
            for row in counts
        ]


# --- import ----------------------------------------------------------------------------------


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


@dataclass
class Change:
    field: str
    old: object
    new: object

    @property
    def label(self) -> str:
        return str(Facility._meta.get_field(self.field).verbose_name)

    @property
    def shown_old(self) -> str:
        return _shown(self.old)

    @property
    def shown_new(self) -> str:
        return _shown(self.new)


@dataclass
class PlannedRow:
    number: int
    open_data_id: str
    name: str
    facility: Facility | None = None  # None: a new facility
    values: dict = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class RowProblem:
    number: int
    column: str
    reason: str


@dataclass
class ImportPlan:
    """What importing the file would do: rows to create, rows to update (with each change),
    rows unchanged, and every problem. A plan with problems is never applied."""

    file_name: str
    sha256: str
    layout_problem: str = ""
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.layout_problem and not self.problems

    @property
    def rows(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.unchanged)

    @property
    def token(self) -> str:
        return confirm.token(
            self.sha256,
            [(row.open_data_id, sorted(row.values.items())) for row in self.creates],
            [
                (row.facility.pk, [(c.field, c.old, c.new) for c in row.changes])
                for row in self.updates
            ],
            [row.facility.pk for row in self.unchanged],
        )


class ImportRefused(ValidationError):
    """The import was not applied; ``plan`` (when known) says why row by row."""

    def __init__(self, message, *, plan: ImportPlan | None = None, code=None):
        super().__init__(message, code=code)
        self.plan = plan


def may_import(user) -> bool:
    """The ward's administrator (``FACILITY_SUPERVISE`` on their own municipality)."""
    return may_register(user)


def _effective_id(facility: Facility) -> str:
    return facility.open_data_id or f"{facility.pk:06d}"


def plan_import(admin, data: bytes, file_name: str = "") -> ImportPlan:
    """Read ``data`` (the CSV's bytes) against the administrator's register: 404 for anyone
    who may not change it. Writes nothing."""
    if not may_import(admin):
        raise Http404
    plan = ImportPlan(file_name[-200:], hashlib.sha256(data).hexdigest())
    try:
        rows = opendata.read_rows(opendata.decode(data))[1]
    except opendata.LayoutRefused as refused:
        plan.layout_problem = str(refused)
        return plan
    if not rows:
        plan.layout_problem = _("The file has a header but no rows.")
        return plan
    if len(rows) > MAX_IMPORT_ROWS:
        plan.layout_problem = _("The file has more than %(max)d rows.") % {"max": MAX_IMPORT_ROWS}
        return plan
    municipality = admin.municipality
    register = filter_allowed(
        admin, Action.FACILITY_SUPERVISE, Facility.objects.filter(municipality=municipality)
    )
    known: dict[str, Facility] = {}
    for facility in register.order_by("pk"):
        # An ID set explicitly wins over another facility's default (its row id).
        if facility.open_data_id or _effective_id(facility) not in known:
            known[_effective_id(facility)] = facility
    first_row: dict[str, int] = {}
    for number, raw in rows:
        parsed = opendata.parse_row(number, raw, municipality.code)
        problems = [RowProblem(number, column, reason) for column, reason in parsed.problems]
        if parsed.open_data_id:
            if parsed.open_data_id in first_row:
                problems.append(
                    RowProblem(
                        number,
                        "ID",
                        _("This ID is already in row %(row)d.")
                        % {"row": first_row[parsed.open_data_id]},
                    )
                )
            else:
                first_row[parsed.open_data_id] = number
        facility = known.get(parsed.open_data_id)
        row = PlannedRow(number, parsed.open_data_id, parsed.values.get("name", ""), facility)
        if facility is not None and not problems:
            for reason in template_outside(facility, parsed.values):
                problems.append(RowProblem(number, "開始時間", reason))
        if problems:
            plan.problems += problems
            continue
        row.values = parsed.values
        if facility is None:
            plan.creates.append(row)
            continue
        row.changes = [
            Change(name, getattr(facility, name), value)
            for name, value in parsed.values.items()
            if getattr(facility, name) != value
        ]
        (plan.updates if row.changes else plan.unchanged).append(row)
    return plan


def apply_import(admin, data: bytes, file_name: str, confirmed: str | None) -> ImportPlan:
    """Import the file: every row or none. Refuses (:class:`ImportRefused`, nothing written)
    when the file has problems, when nothing was confirmed, or when the plan differs from the
    one confirmed (the register changed since the preview)."""
    if not may_import(admin):
        raise Http404
    with transaction.atomic():
        # The register's rows are locked before the plan is made again: what was confirmed is
        # what is written.
        list(
            Facility.objects.select_for_update()
            .filter(municipality_id=admin.municipality_id)
            .values_list("pk", flat=True)
        )
        plan = plan_import(admin, data, file_name)
        if not plan.ok:
            raise ImportRefused(
                _("The file has problems: nothing was imported."), plan=plan, code="problems"
            )
        try:
            confirm.require(confirmed, plan.token)
        except ValidationError as refused:
            raise ImportRefused(refused.messages[0], plan=plan, code=refused.code) from None
        for row in plan.creates:
            facility = Facility.objects.create(
                municipality_id=admin.municipality_id,
                open_data_id=row.open_data_id,
                **row.values,
            )
            row.facility = facility
            record(
                "create",
                facility,
                fields=["open_data_id", *row.values],
                document_sha256=plan.sha256,
            )
        for row in plan.updates:
            facility = row.facility
            for change in row.changes:
                setattr(facility, change.field, change.new)
            names = [change.field for change in row.changes]
            facility.save(update_fields=names)
            record("update", facility, fields=names, document_sha256=plan.sha256)
    return plan
