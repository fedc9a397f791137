"""The monthly claim (請求) and the family's monthly statement of fees.

Both are priced by one function, :func:`price_visits`, from the month's attendance and the
policy in force on each visit's date; docs/billing.md explains every column. The number of
queries is bounded: one per kind of data, never one per visit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.attendance.models import Attendance, AttendanceStatus, visit_minutes
from tsuen.audit.services import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.billing.models import Claim, ClaimLine, ClaimQuery, ClaimStatus
from tsuen.core import clock, confirm, dates
from tsuen.core.csvutil import BOM, csv_row
from tsuen.core.templatetags.tsuen import date_jp
from tsuen.exports.services import Sealed, seal
from tsuen.facilities.models import Facility, Interview, InterviewStatus
from tsuen.families.models import Child, FeeClass, Guardian, Household, HouseholdFeeClass
from tsuen.municipalities.models import MunicipalPolicy
from tsuen.national import services as national_services
from tsuen.webhooks import outbox

#: Line fields that a claim page, its PDF and CSV show (for the audit trail).
LINE_FIELDS = (
    "child",
    "date",
    "billable_minutes",
    "age_class",
    "bucket_shares",
    "base_amount",
    "adders",
    "first_visit_amount",
    "reduction_reimbursed",
    "fee_gross",
)
STATEMENT_FIELDS = ("child", "date", "billable_minutes", "fee_gross", "reduction_reimbursed")


class ClaimRefused(ValidationError):
    """Bad input or a claim that may not be (re)generated; nothing was changed."""


# --- pricing ----------------------------------------------------------------------------------


@dataclass
class PricedVisit:
    """One visit priced for the claim and for the family's statement (whole yen)."""

    attendance: Attendance
    payer_municipality_id: int
    billable_minutes: int
    age_class: int
    shares: list[dict] = field(default_factory=list)  # payer, minutes, base, adders, first_visit
    base_amount: int = 0
    adders: dict[str, int] = field(default_factory=dict)
    first_visit_amount: int = 0
    fee_gross: int = 0
    reduction: int = 0
    fee_net: int = 0

    @property
    def booking(self):
        return self.attendance.booking

    @property
    def benefit(self) -> int:
        return sum(s["base"] + s["adders"] + s["first_visit"] for s in self.shares)

    @property
    def total(self) -> int:
        return self.benefit + self.reduction


def check_month(year, month) -> tuple[int, int]:
    """(year, month) as whole numbers, or ClaimRefused with a message for the user."""
    try:
        year, month = int(year), int(month)
    except (TypeError, ValueError):
        raise ClaimRefused(_("Choose a year and a month.")) from None
    if not 1 <= month <= 12:
        raise ClaimRefused(_("The month must be between 1 and 12."))
    if not 2025 <= year <= 2100:
        raise ClaimRefused(_("Choose a year from 2025."))
    return year, month


def refuse_unfinished_month(year: int, month: int) -> None:
    """A month is claimed once it has ended: its visits and times are then final."""
    _first, last = _month_days(year, month)
    if last >= clock.today():
        next_first = last + dt.timedelta(days=1)
        raise ClaimRefused(
            _("%(month)s has not ended yet: its claim can be made from %(day)s.")
            % {"month": month_label(year, month), "day": date_jp(next_first)},
            code="month_not_ended",
        )


def refuse_unregistered_facility(facility: Facility) -> None:
    """A claim is an official request for payment: it is sent only under the facility number
    (事業所番号) the ward registered. Drafts and their PDF need none (they print 未登録)."""
    if not facility.facility_number:
        raise ClaimRefused(
            _(
                "The ward has not registered this facility's facility number (事業所番号). "
                "Please contact the ward's office in charge."
            ),
            code="no_facility_number",
        )


def month_label(year: int, month: int) -> str:
    """A claim's or statement's month in the one date style (``core.dates.month_text``):
    令和8年11月 (2026年11月 where the ward chose western years), November 2026 in English."""
    return dates.month_text(dt.date(year, month, 1))


def _month_days(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


class _Policies:
    """Every policy row of some municipalities for one fiscal year, loaded in one query."""

    def __init__(self, municipality_ids: Iterable[int], fiscal_year: int):
        self.fiscal_year = fiscal_year
        self.rows: dict[int, list[MunicipalPolicy]] = defaultdict(list)
        for row in MunicipalPolicy.unscoped.filter(
            municipality_id__in=set(municipality_ids), fiscal_year=fiscal_year
        ).order_by("effective_from"):
            self.rows[row.municipality_id].append(row)
        self._rules: dict[int, rules.Policy] = {}

    def on(self, municipality_id: int, day: dt.date) -> rules.Policy:
        """The policy in force that day (the national defaults when the ward set none)."""
        chosen = None
        for row in self.rows.get(municipality_id, ()):
            if row.effective_from <= day:
                chosen = row
        if chosen is None:
            key = -1
            if key not in self._rules:
                self._rules[key] = rules.national_default_policy(self.fiscal_year)
            return self._rules[key]
        if chosen.pk not in self._rules:
            self._rules[chosen.pk] = chosen.to_rules()
        return self._rules[chosen.pk]


def _minutes(att: Attendance, policy: rules.Policy) -> int:
    """The visit's billed minutes, as the hours page counts them (``visit_minutes``)."""
    att.booking.attendance = att  # the attendance is at hand: no query
    return visit_minutes(att.booking, policy)


def _present():
    return Attendance.unscoped.filter(status=AttendanceStatus.PRESENT).select_related(
        "booking", "booking__child", "booking__child__household"
    )


def _fee_class_on(classes: list[HouseholdFeeClass], day: dt.date) -> str:
    for row in classes:
        if row.valid_from <= day and (row.valid_to is None or day <= row.valid_to):
            return row.fee_class
    return FeeClass.NONE


def price_visits(facility: Facility, year: int, month: int, **narrow) -> list[PricedVisit]:
    """Price every visit (attendance PRESENT) at `facility` in the month, in date order.

    `narrow` filters the month's attendance further (e.g. ``booking__child__household=...``).
    Buckets without rates of their own are priced with the year's national table
    (``tsuen.national.services.national_rates``: the national operator's when set).
    The funding buckets are filled by replaying each child's visits of the fiscal year at
    every facility in date order; the bucket split of this facility's visits is then priced.
    """
    first, last = _month_days(year, month)
    month_visits = list(_month_visits([facility.pk], first, last, **narrow))
    if not month_visits:
        return []
    facts = _month_facts([facility.pk], month_visits, first, last)
    return _price_facility(facility, month_visits, facts)


#: What pricing reads of a visit (``visit_minutes``, the funding replay, the claim line).
_VISIT_FIELDS = (
    "status",
    "checked_in_at",
    "checked_out_at",
    "booking__child_id",
    "booking__facility_id",
    "booking__date",
    "booking__starts_at",
    "booking__ends_at",
    "booking__billable_minutes",
)
#: ... and of its child and household (a claim shows no more).
_CHILD_FIELDS = (
    "birth_date",
    "disability",
    "medical_care",
    "household__municipality_id",
    "household__support_needed",
)


def _month_visits(facility_ids: Iterable[int], first: dt.date, last: dt.date, **narrow):
    """The month's visits (attendance PRESENT) at the facilities, facility by facility, each
    facility's in date order."""
    return (
        _present()
        .filter(
            booking__facility_id__in=list(facility_ids),
            booking__date__range=(first, last),
            **narrow,
        )
        .order_by("booking__facility_id", "booking__date", "booking__starts_at", "pk")
    )


def _month_visits_to_claim(facility_ids: list[int], first: dt.date, last: dt.date) -> list:
    """:func:`_month_visits` with only the columns pricing reads, each child read (and its
    flags decrypted) once however often it came, no name and no care record: for claims
    (two queries)."""
    visits = list(
        Attendance.unscoped.filter(
            status=AttendanceStatus.PRESENT,
            booking__facility_id__in=facility_ids,
            booking__date__range=(first, last),
        )
        .select_related("booking")
        .only(*_VISIT_FIELDS)
        .order_by("booking__facility_id", "booking__date", "booking__starts_at", "pk")
    )
    children = Child.unscoped.select_related("household").only(*_CHILD_FIELDS)
    children = children.in_bulk({a.booking.child_id for a in visits})
    for a in visits:
        a.booking.child = children[a.booking.child_id]
    return visits


@dataclass
class _MonthFacts:
    """What pricing a month's visits reads besides the visits themselves, loaded once for the
    visits of one facility or of a batch of facilities (one query per kind of data)."""

    first: dt.date
    fiscal_year: int
    policies: _Policies
    national: rules.BenefitRates
    #: child -> every visit of the child in the fiscal year up to the month's end, anywhere.
    year_visits: dict[int, list[Attendance]]
    fee_classes: dict[int, list[HouseholdFeeClass]]
    #: (facility, child) -> the accepted first interview (the latest asked for).
    interviews: dict[tuple[int, int], Interview]
    #: (facility, child) -> the child's last visit there before the month.
    last_use_before_month: dict[tuple[int, int], dt.date]


def _month_facts(
    facility_ids: list[int],
    month_visits: list[Attendance],
    first: dt.date,
    last: dt.date,
    national: rules.BenefitRates | None = None,
) -> _MonthFacts:
    fy = rules.fiscal_year_of(first)
    fy_first, _fy_last = rules.fiscal_year_bounds(fy)
    children = {a.booking.child_id: a.booking.child for a in month_visits}
    households = {c.household_id for c in children.values()}
    wards = {c.household.municipality_id for c in children.values()}
    if national is None:
        # The national table of the year: the national operator's, else the built-in one.
        national = national_services.national_rates(fy)

    year_visits: dict[int, list[Attendance]] = defaultdict(list)
    # Only the booking is read of these (date, times, facility, child): no child rows.
    for a in (
        Attendance.unscoped.filter(
            status=AttendanceStatus.PRESENT,
            booking__child_id__in=list(children),
            booking__date__range=(fy_first, last),
        )
        .select_related("booking")
        .only(*_VISIT_FIELDS)
        .order_by("booking__date", "booking__starts_at", "pk")
    ):
        year_visits[a.booking.child_id].append(a)

    fee_classes: dict[int, list[HouseholdFeeClass]] = defaultdict(list)
    for row in HouseholdFeeClass.unscoped.filter(household_id__in=households).order_by(
        "-valid_from"
    ):
        fee_classes[row.household_id].append(row)

    interviews: dict[tuple[int, int], Interview] = {}
    for interview in Interview.unscoped.filter(
        facility_id__in=facility_ids, child_id__in=list(children), status=InterviewStatus.ACCEPTED
    ).order_by("requested_at", "pk"):
        interviews[interview.facility_id, interview.child_id] = interview
    last_use_before_month = {
        (facility_id, child_id): day
        for facility_id, child_id, day in _present()
        .filter(booking__facility_id__in=facility_ids, booking__child_id__in=list(children))
        .filter(booking__date__lt=first)
        .values("booking__facility_id", "booking__child_id")
        .annotate(last=Max("booking__date"))
        .values_list("booking__facility_id", "booking__child_id", "last")
    }
    return _MonthFacts(
        first=first,
        fiscal_year=fy,
        policies=_Policies(wards, fy),
        national=national,
        year_visits=year_visits,
        fee_classes=fee_classes,
        interviews=interviews,
        last_use_before_month=last_use_before_month,
    )


def _price_facility(
    facility: Facility, month_visits: list[Attendance], facts: _MonthFacts
) -> list[PricedVisit]:
    """Price one facility's visits of the month (in date order) from the facts loaded."""
    first, fy, policies, national = facts.first, facts.fiscal_year, facts.policies, facts.national
    children = {a.booking.child_id: a.booking.child for a in month_visits}

    # Fund each child's visits of the year in date order, under the policy in force on each
    # claimed visit's date (one replay per distinct policy, usually one).
    splits: dict[int, rules.BucketSplit] = {}
    for child_id, child in children.items():
        visits = facts.year_visits[child_id]
        ward = child.household.municipality_id
        national_last = rules.national_last_day(child.birth_date)
        claimed = defaultdict(set)
        for a in visits:
            if a.booking.facility_id == facility.pk and a.booking.date >= first:
                claimed[id(policies.on(ward, a.booking.date))].add(a.pk)
        for pks in claimed.values():
            policy = next(policies.on(ward, a.booking.date) for a in visits if a.pk in pks)
            as_visits = [rules.Visit(a.booking.date, _minutes(a, policy)) for a in visits]
            funded = rules.fund_visits(policy, as_visits, national_last)
            for a, split in zip(visits, funded, strict=True):
                if a.pk in pks:
                    splits[a.pk] = split

    priced = []
    last_use: dict[int, dt.date | None] = {
        c: facts.last_use_before_month.get((facility.pk, c)) for c in children
    }
    for a in month_visits:
        child, day = a.booking.child, a.booking.date
        household = child.household
        policy = policies.on(household.municipality_id, day)
        minutes = _minutes(a, policy)
        fee_class = _fee_class_on(facts.fee_classes[household.pk], day)
        adders = []
        if child.disability:
            adders.append(rules.Adder.DISABILITY)
        if child.medical_care:
            adders.append(rules.Adder.MEDICAL_CARE)
        if household.support_needed or fee_class == FeeClass.SUPPORT_NEEDED:
            adders.append(rules.Adder.SUPPORT_NEEDED_FAMILY)
        interview = facts.interviews.get((facility.pk, child.pk))
        previous = last_use[child.pk]
        first_visit = interview is not None and rules.first_visit_adder_due(
            interview.held_minutes or 0, interview.follow_up_recorded, previous, day
        )
        last_use[child.pk] = day
        age_class = rules.age_class(child.birth_date, fy)
        split = splits[a.pk]
        benefit = rules.visit_benefit(
            policy, fy, age_class, split.shares, adders, first_visit, national
        )
        fee = rules.user_fee(
            minutes,
            facility.fee_per_hour,
            fee_class,
            policy,
            household.municipality_id == facility.municipality_id,
        )
        line = PricedVisit(
            attendance=a,
            payer_municipality_id=household.municipality_id,
            billable_minutes=minutes,
            age_class=age_class,
            fee_gross=fee.gross,
            reduction=fee.reduction,
            fee_net=fee.net,
        )
        for b in benefit.lines:
            line.shares.append(
                {
                    "payer": b.payer,
                    "minutes": b.minutes,
                    "base": b.base,
                    "adders": b.adders,
                    "first_visit": b.first_visit,
                }
            )
        line.base_amount = sum(b.base for b in benefit.lines)
        line.first_visit_amount = sum(b.first_visit for b in benefit.lines)
        # Each adder's yen over all payers, for the line's breakdown (the benefit itself rounds
        # the adders together per payer, so this breakdown may differ from it by a yen).
        for adder in adders:
            line.adders[str(adder)] = sum(
                rules.pro_rata(national.adder_per_hour(adder), b.minutes) for b in benefit.lines
            )
        priced.append(line)
    return priced


# --- claims -----------------------------------------------------------------------------------


def _managed_facility(manager, action: Action = Action.CLAIM_SUBMIT) -> Facility:
    if not getattr(manager, "facility_id", None):
        raise Http404
    return get_or_404(manager, action, Facility.objects.all(), pk=manager.facility_id)


def _latest(facility: Facility, year: int, month: int) -> dict[int, Claim]:
    """Paying municipality -> the facility's latest claim version of the month."""
    latest: dict[int, Claim] = {}
    for claim in Claim.unscoped.filter(facility=facility, year=year, month=month).order_by(
        "version"
    ):
        latest[claim.paying_municipality_id] = claim
    return latest


def _line_rows(claim: Claim, lines: list[PricedVisit]) -> list[ClaimLine]:
    return [
        ClaimLine(
            claim=claim,
            booking_id=p.booking.pk,
            child_id=p.booking.child_id,
            date=p.booking.date,
            billable_minutes=p.billable_minutes,
            age_class=p.age_class,
            bucket_shares=p.shares,
            base_amount=p.base_amount,
            adders=p.adders,
            first_visit_amount=p.first_visit_amount,
            reduction_reimbursed=p.reduction,
            fee_gross=p.fee_gross,
        )
        for p in lines
    ]


def _set_totals(claim: Claim, lines: list[PricedVisit]) -> None:
    claim.total_benefit = sum(p.benefit for p in lines)
    claim.total_reduction_reimbursed = sum(p.reduction for p in lines)


def _write_lines(claim: Claim, lines: list[PricedVisit]) -> None:
    ClaimLine.unscoped.bulk_create(_line_rows(claim, lines))
    _set_totals(claim, lines)
    claim.save(update_fields=["total_benefit", "total_reduction_reimbursed"])


def _refusal_already_submitted(claim: Claim) -> ClaimRefused:
    return ClaimRefused(
        _("The claim for %(month)s to %(payer)s is already submitted: make a correction instead.")
        % {"month": f"{claim.year}-{claim.month:02d}", "payer": claim.paying_municipality.name},
        code="already_submitted",
    )


@dataclass
class ClaimsWritten:
    """What :func:`claim_facilities` did to a batch of facilities."""

    #: Facility id -> its draft claims written, one per paying municipality (in the order of
    #: each payer's first visit), for every facility that was not refused.
    claims: dict[int, list[Claim]] = field(default_factory=dict)
    #: Facility id -> why nothing of its month changed (a claim of it is already submitted).
    refused: dict[int, ClaimRefused] = field(default_factory=dict)
    lines: int = 0
    #: Drafts deleted because none of their visits is left.
    deleted: int = 0


def claim_facilities(
    facilities: list[Facility],
    year: int,
    month: int,
    *,
    national: rules.BenefitRates | None = None,
) -> ClaimsWritten:
    """(Re)generate the month's draft claims of `facilities`, many facilities per query.

    For the callers only (:func:`generate_claims`, ``services_month.generate_month_claims``):
    they check who may, refuse a month that has not ended, and call this in a transaction with
    the facilities' rows locked (``select_for_update``), as the facilities were read. For each
    facility, as :func:`generate_claims` always did: a draft claim per paying municipality, a
    draft regenerated in place (same claim, lines written again), drafts whose visits are all
    gone deleted; a facility with a claim to a payer already submitted (and visits for it) is
    refused as a whole and left as it was. One ``create`` audit event per claim written.
    """
    first, last = _month_days(year, month)
    ids = [facility.pk for facility in facilities]
    written = ClaimsWritten()
    visits: dict[int, list[Attendance]] = defaultdict(list)
    month_visits = _month_visits_to_claim(ids, first, last)
    for a in month_visits:
        visits[a.booking.facility_id].append(a)
    facts = _month_facts(ids, month_visits, first, last, national) if month_visits else None
    latest: dict[int, dict[int, Claim]] = defaultdict(dict)
    for claim in (
        Claim.unscoped.select_for_update()
        .filter(facility_id__in=ids, year=year, month=month)
        .order_by("facility_id", "version")
    ):
        latest[claim.facility_id][claim.paying_municipality_id] = claim

    new, regenerated, gone, rows = [], [], [], []
    for facility in facilities:
        by_payer: dict[int, list[PricedVisit]] = defaultdict(list)
        if visits[facility.pk]:
            for p in _price_facility(facility, visits[facility.pk], facts):
                by_payer[p.payer_municipality_id].append(p)
        drafts = latest[facility.pk]
        submitted = [c for w, c in drafts.items() if not c.is_draft and w in by_payer]
        if submitted:
            written.refused[facility.pk] = _refusal_already_submitted(submitted[0])
            continue
        claims = []
        for ward, lines in by_payer.items():
            claim = drafts.get(ward)
            if claim is None:
                claim = Claim(
                    facility=facility, paying_municipality_id=ward, year=year, month=month
                )
                new.append(claim)
            else:
                regenerated.append(claim)
            _set_totals(claim, lines)
            claims.append(claim)
            rows.append((claim, lines))
        # Drafts whose visits are all gone (e.g. an attendance corrected to a no-show).
        gone += [
            c.pk
            for w, c in drafts.items()
            if w not in by_payer and c.is_draft and c.supersedes_id is None
        ]
        if claims:
            written.claims[facility.pk] = claims

    if regenerated:
        # Locked above and drafts: their lines are written again, their totals replaced.
        ClaimLine.unscoped.filter(claim__in=[c.pk for c in regenerated]).only("pk").delete()
        Claim.unscoped.bulk_update(regenerated, ["total_benefit", "total_reduction_reimbursed"])
    Claim.unscoped.bulk_create(new)
    lines = [line for claim, priced in rows for line in _line_rows(claim, priced)]
    ClaimLine.unscoped.bulk_create(lines)
    if gone:
        Claim.unscoped.filter(pk__in=gone, status=ClaimStatus.DRAFT).delete()
    written.lines, written.deleted = len(lines), len(gone)
    record_many("create", [claim for claim, _priced in rows])
    return written


def generate_claims(manager, year, month) -> list[Claim]:
    """The month's draft claims of the manager's facility, one per paying municipality.

    A draft is regenerated from current data; a month whose claim to some payer is already
    submitted is refused (make a correction instead), and nothing changes. The month of every
    facility at once: ``services_month.generate_month_claims``.
    """
    year, month = check_month(year, month)
    facility = _managed_facility(manager)
    refuse_unfinished_month(year, month)
    with transaction.atomic():
        locked = list(Facility.unscoped.select_for_update().filter(pk=facility.pk))
        written = claim_facilities(locked, year, month)
        if facility.pk in written.refused:
            raise written.refused[facility.pk]
    return written.claims.get(facility.pk, [])


def claims_page(user) -> list[Claim]:
    """The claims the user may see, newest month first."""
    require(user, Action.CLAIM_VIEW, Claim)
    return list(
        filter_allowed(user, Action.CLAIM_VIEW, Claim.objects.all()).select_related(
            "facility", "paying_municipality", "supersedes"
        )
    )


@dataclass
class ClaimPage:
    claim: Claim
    lines: list[ClaimLine]
    totals_by_payer: dict[str, int]
    differences: list[dict] | None
    can_submit: bool
    can_correct: bool
    queries: list[ClaimQuery] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return month_label(self.claim.year, self.claim.month)

    @property
    def submit_refused(self) -> list[str]:
        """Why the draft cannot be submitted as things stand (no facility number yet)."""
        try:
            refuse_unregistered_facility(self.claim.facility)
        except ClaimRefused as refused:
            return refused.messages
        return []

    @property
    def claim_date(self) -> dt.date:
        """The claim's date: the day it was submitted; a draft is dated today."""
        if self.claim.submitted_at:
            return timezone.localdate(self.claim.submitted_at)
        return clock.today()

    @property
    def total(self) -> int:
        return self.claim.total_benefit + self.claim.total_reduction_reimbursed


def _claim(user, claim_id: int, action: Action = Action.CLAIM_VIEW) -> Claim:
    return get_or_404(
        user,
        action,
        Claim.objects.select_related("facility", "paying_municipality", "supersedes"),
        pk=claim_id,
    )


def _lines(claim: Claim) -> list[ClaimLine]:
    return list(ClaimLine.unscoped.filter(claim=claim).select_related("child"))


def totals_by_payer(lines: Iterable[ClaimLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        for share in line.bucket_shares:
            amount = share["base"] + share["adders"] + share["first_visit"]
            totals[share["payer"]] = totals.get(share["payer"], 0) + amount
    return totals


def differences(lines: list[ClaimLine], previous: list[ClaimLine]) -> list[dict]:
    """Per visit: what changed between a correction and the version it supersedes."""
    before = {line.booking_id: line for line in previous}
    after = {line.booking_id: line for line in lines}
    rows = []
    for booking_id in sorted(
        set(before) | set(after),
        key=lambda b: ((after.get(b) or before[b]).date, b),
    ):
        old, new = before.get(booking_id), after.get(booking_id)
        shown = new or old
        old_total = old.total if old else 0
        new_total = new.total if new else 0
        if old and new and old_total == new_total and old.billable_minutes == new.billable_minutes:
            continue
        rows.append(
            {
                "line": shown,
                "old_minutes": old.billable_minutes if old else None,
                "new_minutes": new.billable_minutes if new else None,
                "old_total": old_total,
                "new_total": new_total,
                "difference": new_total - old_total,
            }
        )
    return rows


def claim_page(user, claim_id: int) -> ClaimPage:
    claim = _claim(user, claim_id)
    lines = _lines(claim)
    diff = None
    if claim.supersedes_id:
        diff = differences(lines, _lines(claim.supersedes))
    queries = list(
        ClaimQuery.unscoped.filter(claim=claim).select_related("line__child", "answered_in")
    )
    record_many("read", lines, LINE_FIELDS)
    record_many("read", queries, ["message"])
    record("read", claim)
    manager = getattr(user, "facility_id", None) == claim.facility_id
    return ClaimPage(
        claim=claim,
        lines=lines,
        totals_by_payer=totals_by_payer(lines),
        differences=diff,
        can_submit=manager and claim.is_draft and bool(lines),
        can_correct=manager
        and claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.QUERIED)
        and not Claim.unscoped.filter(supersedes=claim).exists(),
        queries=queries,
    )


@dataclass(frozen=True)
class SubmitEffects:
    """What submitting a draft claim sends to the ward: the visits, children and yen, fixed
    from then on. ``token`` is what the confirmation posts back."""

    claim: Claim
    visits: int
    children: int
    benefit: int
    reduction_reimbursed: int
    token: str

    @property
    def total(self) -> int:
        return self.benefit + self.reduction_reimbursed


def submit_effects(manager, claim_id: int) -> SubmitEffects:
    """What :func:`submit_claim` would send now (nothing is written). A draft for a month that
    has not ended is refused here already, before anyone is asked to confirm."""
    claim = _claim(manager, claim_id, Action.CLAIM_SUBMIT)
    if claim.is_draft:
        refuse_unfinished_month(claim.year, claim.month)
        refuse_unregistered_facility(claim.facility)
    return _submit_effects(claim)


def _submit_effects(claim: Claim) -> SubmitEffects:
    lines = list(
        ClaimLine.unscoped.filter(claim=claim).order_by("pk").values_list("pk", "child_id")
    )
    benefit, reduction = claim.total_benefit, claim.total_reduction_reimbursed
    return SubmitEffects(
        claim,
        len(lines),
        len({child for _pk, child in lines}),
        benefit,
        reduction,
        confirm.token("submit_claim", claim.pk, claim.status, tuple(lines), benefit, reduction),
    )


def submit_claim(manager, claim_id: int, *, confirm_token: str | None = None) -> Claim:
    """Submit a draft claim to the ward. Refused unless ``confirm_token`` is the token of the
    effects shown (:func:`submit_effects`) and they are still the same."""
    with transaction.atomic():
        claim = _claim(manager, claim_id, Action.CLAIM_SUBMIT)
        claim = Claim.unscoped.select_for_update().get(pk=claim.pk)
        confirm.require(confirm_token, _submit_effects(claim).token)
        if not claim.is_draft:
            raise ClaimRefused(_("This claim is already submitted."))
        if not claim.lines.exists():
            raise ClaimRefused(_("A claim without visits cannot be submitted."))
        refuse_unfinished_month(claim.year, claim.month)
        refuse_unregistered_facility(claim.facility)
        claim.status = ClaimStatus.SUBMITTED
        claim.submitted_at = clock.now()
        claim.submitted_by = manager
        # The draft becomes the submitted claim in one save (allowed: it was a draft).
        claim.save()
        if claim.supersedes_id:
            old = Claim.unscoped.get(pk=claim.supersedes_id)
            old.status = ClaimStatus.SUPERSEDED
            old.save()
            answer_queries(old, claim)
            outbox.claim_event(old)
        record("update", claim, ["status", "submitted_at"])
        outbox.claim_event(claim)
    return claim


def correct_claim(manager, claim_id: int) -> Claim:
    """A new draft version of a submitted claim, generated from current data."""
    with transaction.atomic():
        old = _claim(manager, claim_id, Action.CLAIM_SUBMIT)
        old = Claim.unscoped.select_for_update().get(pk=old.pk)
        if old.status not in (ClaimStatus.SUBMITTED, ClaimStatus.QUERIED):
            raise ClaimRefused(_("Only a submitted claim can be corrected."))
        if Claim.unscoped.filter(supersedes=old).exists():
            raise ClaimRefused(_("This claim already has a correction."))
        refuse_unfinished_month(old.year, old.month)
        facility = old.facility
        lines = [
            p
            for p in price_visits(facility, old.year, old.month)
            if p.payer_municipality_id == old.paying_municipality_id
        ]
        new = Claim.unscoped.create(
            facility=facility,
            paying_municipality_id=old.paying_municipality_id,
            year=old.year,
            month=old.month,
            version=old.version + 1,
            supersedes=old,
        )
        _write_lines(new, lines)
        record("create", new)
    return new


def answer_queries(old: Claim, correction: Claim) -> None:
    """The facility submitted ``correction`` of ``old``: the ward's open queries on ``old``
    are answered by it."""
    answered = list(ClaimQuery.unscoped.filter(claim=old, answered_at__isnull=True))
    for query in answered:
        query.answered_at, query.answered_in = clock.now(), correction
    ClaimQuery.unscoped.bulk_update(answered, ["answered_at", "answered_in"])
    record_many("update", answered, ["answered_at", "answered_in"])


# --- exports ------------------------------------------------------------------------------------

#: What a claim document (page, CSV, PDF) tells of the adders. A facility must know a child's
#: care needs (disability, medical care: it sees them on the child's profile too), so these are
#: named; an adder about the household (the support-needed family adder) is paid but shown only
#: as "other", never named, like the fee class behind a reduction (docs/billing.md, "What a
#: facility sees").
NAMED_ADDERS = (str(rules.Adder.DISABILITY), str(rules.Adder.MEDICAL_CARE))
OTHER_ADDERS = "other"


def shown_adders(adders: dict[str, int]) -> dict[str, int]:
    """``{"disability": yen, "medical_care": yen, "other": yen}`` for the non-zero ones, in that
    order: the named adders as they are, every other adder summed as ``"other"``."""
    shown = {kind: adders[kind] for kind in NAMED_ADDERS if adders.get(kind)}
    other = sum(yen for kind, yen in adders.items() if kind not in NAMED_ADDERS)
    if other:
        shown[OTHER_ADDERS] = other
    return shown


CSV_HEADERS = (
    "請求年月",
    "版",
    "事業所番号",
    "施設",
    "請求先",
    "利用日",
    "児童氏名",
    "クラス年齢",
    "請求時間(分)",
    "財源内訳",
    "基本額(円)",
    "障害児加算(円)",
    "医療的ケア児加算(円)",
    "その他の加算(円)",
    "初回対応加算(円)",
    "利用者負担額(円)",
    "利用者負担軽減額(円)",
    "合計(円)",
)


def _funding_text(shares: list[dict]) -> str:
    """Who pays the benefit for how many minutes, in words: 国の給付 60分、東京都の事業 60分
    (the claim CSV is in Japanese, like its headers)."""
    from tsuen.booking.services import PAYER_LABELS

    with translation.override("ja"):
        return "、".join(
            f"{PAYER_LABELS.get(share['payer'], share['payer'])} {share['minutes']}分"
            for share in shares
        )


def _csv_cells(claim: Claim, line: ClaimLine) -> tuple:
    adders = shown_adders(line.adders)
    return (
        f"{claim.year}年{claim.month}月",
        claim.version,
        claim.facility.facility_number,
        claim.facility.name,
        claim.paying_municipality.name,
        f"{line.date:%Y/%m/%d}",
        line.child.full_name,
        line.age_class,
        line.billable_minutes,
        _funding_text(line.bucket_shares),
        line.base_amount,
        adders.get(str(rules.Adder.DISABILITY), 0),
        adders.get(str(rules.Adder.MEDICAL_CARE), 0),
        adders.get(OTHER_ADDERS, 0),
        line.first_visit_amount,
        line.fee_net,
        line.reduction_reimbursed,
        line.total,
    )


def claim_for_export(user, claim_id: int) -> Claim:
    """The claim, if ``user`` may export it (404 otherwise): checked before re-authentication."""
    return _claim(user, claim_id)


def claim_csv(user, claim_id: int, *, request_id: str) -> Sealed:
    """The claim as a UTF-8 CSV with BOM and Japanese headers, sealed as a protected export
    (AES-256 ZIP) for ``user``; the export is audited with the ZIP's SHA-256."""
    claim = _claim(user, claim_id)
    lines = _lines(claim)
    text = BOM + csv_row(CSV_HEADERS) + "".join(csv_row(_csv_cells(claim, line)) for line in lines)
    name = (
        f"claim-{claim.year}{claim.month:02d}-{claim.paying_municipality.code}-v{claim.version}.csv"
    )
    return _sealed(user, request_id, claim, lines, name, text.encode("utf-8"))


def claim_pdf(user, claim_id: int, *, request_id: str) -> Sealed:
    """The claim as a PDF, sealed like :func:`claim_csv`."""
    from tsuen.billing.pdf import render_claim

    claim = _claim(user, claim_id)
    lines = _lines(claim)
    page = ClaimPage(
        claim=claim,
        lines=lines,
        totals_by_payer=totals_by_payer(lines),
        differences=None,
        can_submit=False,
        can_correct=False,
    )
    name = f"claim-{claim.year}{claim.month:02d}-{claim.paying_municipality.code}-v{claim.version}"
    return _sealed(user, request_id, claim, lines, f"{name}.pdf", render_claim(page))


def _sealed(user, request_id, claim, lines, name, data) -> Sealed:
    sealed = seal(
        user,
        request_id,
        name,
        data,
        municipality_id=claim.paying_municipality_id,
        subject_child_ids=[line.child_id for line in lines],
    )
    record("export", claim, document_sha256=sealed.sha256)
    record_many("export", lines, LINE_FIELDS, document_sha256=sealed.sha256)
    return sealed


# --- the family's statement -------------------------------------------------------------------


@dataclass
class FacilityStatement:
    facility: Facility
    visits: list[PricedVisit]

    @property
    def minutes(self) -> int:
        return sum(v.billable_minutes for v in self.visits)

    @property
    def gross(self) -> int:
        return sum(v.fee_gross for v in self.visits)

    @property
    def reduction(self) -> int:
        return sum(v.reduction for v in self.visits)

    @property
    def to_pay(self) -> int:
        return sum(v.fee_net for v in self.visits)


@dataclass
class Statement:
    household: Household
    year: int
    month: int
    facilities: list[FacilityStatement]
    #: Whom the statement is addressed to: the household's primary guardian (else the first).
    addressee: Guardian | None = None
    issued_on: dt.date | None = None
    #: Every month with a visit of the household, newest first, and the month shown.
    months: list[dt.date] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def minutes(self) -> int:
        return sum(v.billable_minutes for f in self.facilities for v in f.visits)

    @property
    def to_pay(self) -> int:
        return sum(f.to_pay for f in self.facilities)


def statement_months(household: Household, shown: dt.date) -> list[dt.date]:
    """The first day of every month in which the household has a visit, and ``shown``,
    newest first (one query)."""
    days = (
        Attendance.unscoped.filter(
            status=AttendanceStatus.PRESENT, booking__child__household=household
        )
        .annotate(month=TruncMonth("booking__date"))
        .values_list("month", flat=True)
        .distinct()
    )
    months = {d if isinstance(d, dt.date) else d.date() for d in days} | {shown}
    return sorted((m.replace(day=1) for m in months), reverse=True)


def statement(user, year, month) -> Statement:
    """The user's household's fees for the month: per facility, each visit priced."""
    year, month = check_month(year, month)
    require(user, Action.STATEMENT_VIEW, Household)
    household = (
        filter_allowed(user, Action.STATEMENT_VIEW, Household.objects.all()).order_by("pk").first()
    )
    if household is None:
        raise Http404
    first, last = _month_days(year, month)
    facility_ids = (
        Attendance.unscoped.filter(
            status=AttendanceStatus.PRESENT,
            booking__child__household=household,
            booking__date__range=(first, last),
        )
        .values_list("booking__facility_id", flat=True)
        .distinct()
    )
    facilities = []
    for facility in Facility.unscoped.filter(pk__in=list(facility_ids)).order_by("name"):
        visits = price_visits(facility, year, month, booking__child__household=household)
        facilities.append(FacilityStatement(facility, visits))
    children = {v.booking.child_id: v.booking.child for f in facilities for v in f.visits}
    addressee = household.guardians.order_by("-is_primary", "pk").first()
    record("read", household, subjects=children.values())
    if addressee is not None:
        record("read", addressee, ["family_name", "given_name"])
    record_many("read", [v.attendance for f in facilities for v in f.visits])
    return Statement(
        household,
        year,
        month,
        facilities,
        addressee=addressee,
        issued_on=clock.today(),
        months=statement_months(household, dt.date(year, month, 1)),
    )


def statement_pdf(user, year, month) -> tuple[str, bytes]:
    from tsuen.billing.pdf import render_statement

    page = statement(user, year, month)
    data = render_statement(page)
    record("export", page.household, document_sha256=hashlib.sha256(data).hexdigest())
    return f"statement-{page.year}{page.month:02d}.pdf", data
