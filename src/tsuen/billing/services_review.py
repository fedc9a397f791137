"""The ward's side of the claims: the claims received, a claim's review with its flags, the
query / approve / pay steps and the export for the finance system.

Who: the payments officer and the administrator of the paying municipality
(``Action.CLAIM_APPROVE``); any other user gets 404. A draft is the facility's own and never
reaches the ward. docs/billing.md, "The ward's claim review", explains the rules.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tsuen import rules
from tsuen.accounts.models import Role, User
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.audit.services import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.billing import flags as claim_flags
from tsuen.billing.flags import Flag
from tsuen.billing.models import Claim, ClaimLine, ClaimQuery, ClaimStatus
from tsuen.billing.services import (
    LINE_FIELDS,
    ClaimRefused,
    _minutes,
    _month_days,
    _Policies,
    month_label,
    totals_by_payer,
)
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock, confirm, dates
from tsuen.core.csvutil import BOM, csv_row, formula_safe
from tsuen.exports.services import Sealed, seal
from tsuen.facilities import calendar
from tsuen.facilities.models import Facility
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify
from tsuen.webhooks import outbox

FLAG_LABELS = {
    Flag.OVER_CAP: gettext_lazy("Over the hours cap"),
    Flag.CLOSURE_DAY: gettext_lazy("Facility closed that day"),
    Flag.NOT_CERTIFIED: gettext_lazy("Not certified that day"),
    Flag.NO_ATTENDANCE: gettext_lazy("No attendance record, or a no-show"),
}

#: The statuses the ward sees: a draft stays with the facility.
RECEIVED = [s for s in ClaimStatus.values if s != ClaimStatus.DRAFT]
EXPORTED = [ClaimStatus.APPROVED, ClaimStatus.PAID]


def may_review(user) -> None:
    """404 unless ``user`` reviews the claims sent to a ward."""
    require(user, Action.CLAIM_APPROVE, Claim)


def _received(user) -> QuerySet:
    may_review(user)
    return filter_allowed(
        user, Action.CLAIM_APPROVE, Claim.objects.filter(status__in=RECEIVED)
    ).select_related("facility", "paying_municipality")


# --- the claims received --------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFilters:
    year: int | None = None
    month: int | None = None
    facility: Facility | None = None
    status: str = ""


@dataclass
class ReceivedClaims:
    claims: Page  # 50 claims a page
    total_benefit: int  # the totals cover every claim the filters match
    total_reduction_reimbursed: int

    @property
    def total(self) -> int:
        return self.total_benefit + self.total_reduction_reimbursed


def facilities_claiming(user) -> QuerySet:
    """The facilities that have sent the user's ward a claim (the list's facility filter)."""
    return Facility.unscoped.filter(pk__in=_received(user).values("facility_id")).order_by("name")


def received_claims(
    user, filters: ClaimFilters = ClaimFilters(), page: int | str | None = 1
) -> ReceivedClaims:
    """The claims sent to the user's ward, newest month first, narrowed by ``filters``, one
    page of them at a time."""
    claims = _received(user)
    if filters.year:
        claims = claims.filter(year=filters.year)
    if filters.month:
        claims = claims.filter(month=filters.month)
    if filters.facility is not None:
        claims = claims.filter(facility=filters.facility)
    if filters.status:
        claims = claims.filter(status=filters.status)
    claims = claims.order_by("-year", "-month", "facility__name", "-version")
    # The totals are encrypted columns: summed here, from one query, not by the database.
    benefit = reduction = 0
    for claim_benefit, claim_reduction in claims.values_list(
        "total_benefit", "total_reduction_reimbursed"
    ):
        benefit += claim_benefit
        reduction += claim_reduction
    return ReceivedClaims(
        claims=Paginator(claims.select_related("facility"), 50).get_page(page),
        total_benefit=benefit,
        total_reduction_reimbursed=reduction,
    )


@dataclass(frozen=True)
class ClaimsWaiting:
    """The payments officer's next tasks: claims to review, claims approved and still to pay."""

    to_review: list[Claim]  # submitted, oldest submission first
    to_pay: list[Claim]  # approved, oldest approval first
    to_review_count: int
    to_pay_count: int


def claims_waiting(user, limit: int = 10) -> ClaimsWaiting:
    """The first ``limit`` claims of each kind, with the counts (no person's data on them)."""
    received = _received(user)
    to_review = received.filter(status=ClaimStatus.SUBMITTED).order_by("submitted_at", "pk")
    to_pay = received.filter(status=ClaimStatus.APPROVED).order_by("approved_at", "pk")
    return ClaimsWaiting(
        list(to_review[:limit]), list(to_pay[:limit]), to_review.count(), to_pay.count()
    )


# --- one claim and its flags ------------------------------------------------------------------


@dataclass
class ReviewedLine:
    line: ClaimLine
    flags: list[Flag]
    queries: list[ClaimQuery] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[f]) for f in self.flags]


@dataclass
class ClaimReview:
    claim: Claim
    lines: list[ReviewedLine]
    totals_by_payer: dict[str, int]
    queries: list[ClaimQuery]

    @property
    def month_label(self) -> str:
        return month_label(self.claim.year, self.claim.month)

    @property
    def open_queries(self) -> list[ClaimQuery]:
        return [q for q in self.queries if q.is_open]

    @property
    def flagged(self) -> int:
        return sum(1 for line in self.lines if line.flags)

    @property
    def can_query(self) -> bool:
        return self.claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.QUERIED)

    @property
    def can_approve(self) -> bool:
        return self.claim.status == ClaimStatus.SUBMITTED and not self.open_queries

    @property
    def can_pay(self) -> bool:
        return self.claim.status == ClaimStatus.APPROVED


def _certified_days(certification: Certification) -> tuple[dt.date, dt.date]:
    """The days a certification covered: its validity, cut at its last day when ended."""
    last = certification.valid_to
    if certification.status == CertificationStatus.ENDED and certification.ended_on:
        last = min(last, certification.ended_on)
    return certification.valid_from, last


def flag_lines(claim: Claim, lines: list[ClaimLine]) -> dict[int, frozenset[Flag]]:
    """The flags of each line, from facts loaded in a fixed number of queries (five),
    whatever the number of lines."""
    if not lines:
        return {}
    first, last = _month_days(claim.year, claim.month)
    fiscal_year = rules.fiscal_year_of(first)
    fy_first, _fy_last = rules.fiscal_year_bounds(fiscal_year)
    children = {line.child_id for line in lines}
    bookings = {line.booking_id for line in lines}
    attendance = dict(
        Attendance.unscoped.filter(booking_id__in=bookings).values_list("booking_id", "status")
    )
    # Closure days and national holidays the facility had not opened (facilities.calendar).
    closures = list(calendar.closed_days(claim.facility_id, first, last))
    certified: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for certification in Certification.unscoped.filter(
        child_id__in=children, valid_from__lte=last, valid_to__gte=first
    ):
        certified[certification.child_id].append(_certified_days(certification))
    policies = _Policies([claim.paying_municipality_id], fiscal_year)

    def policy_on(day: dt.date) -> rules.Policy:
        return policies.on(claim.paying_municipality_id, day)

    # Every attended visit of the children in the fiscal year up to the month's end, at any
    # facility; the claimed visits count with their claimed minutes.
    claimed = {line.booking_id: line for line in lines}
    visits: dict[int, list[claim_flags.CountedVisit]] = defaultdict(list)
    for a in (
        Attendance.unscoped.filter(
            status=AttendanceStatus.PRESENT,
            booking__child_id__in=children,
            booking__date__range=(fy_first, last),
        )
        .select_related("booking")
        .order_by("booking__date", "booking__starts_at", "pk")
    ):
        line = claimed.get(a.booking_id)
        minutes = line.billable_minutes if line else _minutes(a, policy_on(a.booking.date))
        visits[a.booking.child_id].append(
            claim_flags.CountedVisit(a.booking_id, a.booking.date, minutes)
        )
    facts = [
        claim_flags.LineFacts(
            key=line.pk,
            visit=line.booking_id,
            child=line.child_id,
            date=line.date,
            minutes=line.billable_minutes,
            attendance=attendance.get(line.booking_id),
        )
        for line in lines
    ]
    return claim_flags.line_flags(
        facts, policy_on=policy_on, closures=closures, certified=certified, visits=visits
    )


def _claim(user, claim_id: int, *, lock: bool = False) -> Claim:
    claim = get_or_404(user, Action.CLAIM_APPROVE, _received(user), pk=claim_id)
    if lock:
        claim = Claim.unscoped.select_for_update().get(pk=claim.pk)
    return claim


def _queries(claim: Claim) -> list[ClaimQuery]:
    return list(
        ClaimQuery.unscoped.filter(claim=claim).select_related("line", "line__child", "asked_by")
    )


def review_page(user, claim_id: int) -> ClaimReview:
    """A claim with each line checked against attendance, closures, certifications and caps."""
    claim = _claim(user, claim_id)
    lines = list(ClaimLine.unscoped.filter(claim=claim).select_related("child"))
    found = flag_lines(claim, lines)
    queries = _queries(claim)
    by_line: dict[int, list[ClaimQuery]] = defaultdict(list)
    for query in queries:
        by_line[query.line_id].append(query)
    record_many("read", lines, LINE_FIELDS)
    record_many("read", queries, ["message"])
    record("read", claim)
    return ClaimReview(
        claim=claim,
        lines=[
            ReviewedLine(line, sorted(found[line.pk]), by_line.get(line.pk, [])) for line in lines
        ],
        totals_by_payer=totals_by_payer(lines),
        queries=queries,
    )


# --- the steps: query, approve, pay -----------------------------------------------------------


def _managers(facility_id: int) -> list[User]:
    return list(
        User.objects.filter(
            facility_id=facility_id, role=Role.FACILITY_MANAGER, is_active=True
        ).exclude(email="")
    )


def _tell_managers(kind: Notice, claim: Claim, **context) -> None:
    for manager in _managers(claim.facility_id):
        notify(
            kind,
            manager,
            month=dates.Month(claim.year, claim.month, 1),
            payer_name=claim.paying_municipality.name,
            version=claim.version,
            path=reverse("billing:claim", args=[claim.pk]),
            **context,
        )


def query_line(user, claim_id: int, line_id: int, message: str) -> ClaimQuery:
    """Send one line back to the facility with a message: the claim becomes QUERIED."""
    message = (message or "").strip()
    with transaction.atomic():
        claim = _claim(user, claim_id, lock=True)
        line = ClaimLine.unscoped.filter(claim=claim, pk=line_id).select_related("child").first()
        if line is None:
            raise ClaimRefused(_("Choose a visit of this claim to query."))
        if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.QUERIED):
            raise ClaimRefused(
                _("Only a submitted claim can be queried; this one is %(status)s.")
                % {"status": claim.get_status_display()}
            )
        if not message:
            raise ClaimRefused(_("Write what the facility should check."))
        query = ClaimQuery.objects.create(
            claim=claim, line=line, message=message, asked_by=user, asked_at=clock.now()
        )
        claim.status = ClaimStatus.QUERIED
        claim.save(update_fields=["status"])
        record("create", query, ["message"], subjects=[line.child])
        record("update", claim, ["status"])
        outbox.claim_event(claim)
        _tell_managers(Notice.CLAIM_QUERIED, claim, visit_date=line.date)
    return query


def approval_token(review: ClaimReview) -> str:
    """What the confirmation of approving a claim with flagged visits posts back: the flagged
    visits and their flags, and the total, as shown."""
    flagged = tuple((row.line.pk, tuple(sorted(row.flags))) for row in review.lines if row.flags)
    claim = review.claim
    total = claim.total_benefit + claim.total_reduction_reimbursed
    return confirm.token("approve", claim.pk, claim.version, flagged, total)


def approve(user, claim_id: int, *, confirm_token: str | None = None) -> Claim:
    """Approve a submitted claim with no open query (sets approved_at). A claim with flagged
    visits is approved only with ``confirm_token``: the token of the flagged visits shown
    (:func:`approval_token`), refused when they changed."""
    with transaction.atomic():
        claim = _claim(user, claim_id, lock=True)
        if ClaimQuery.unscoped.filter(claim=claim, answered_at__isnull=True).exists():
            raise ClaimRefused(
                _(
                    "This claim has an open query: it can be approved once the facility has "
                    "answered with a correction (approve the correction)."
                )
            )
        if claim.status != ClaimStatus.SUBMITTED:
            raise ClaimRefused(
                _("Only a submitted claim can be approved; this one is %(status)s.")
                % {"status": claim.get_status_display()}
            )
        lines = list(ClaimLine.unscoped.filter(claim=claim).select_related("child"))
        found = flag_lines(claim, lines)
        if any(found[line.pk] for line in lines):
            shown = ClaimReview(
                claim, [ReviewedLine(line, sorted(found[line.pk])) for line in lines], {}, []
            )
            confirm.require(confirm_token, approval_token(shown))
        claim.status = ClaimStatus.APPROVED
        claim.approved_at = clock.now()
        claim.save(update_fields=["status", "approved_at"])
        record("update", claim, ["status", "approved_at"])
        outbox.claim_event(claim)
    return claim


def mark_paid(user, claim_id: int, paid_on: dt.date) -> Claim:
    """Record the payment of an approved claim on ``paid_on`` (sets paid_at)."""
    with transaction.atomic():
        claim = _claim(user, claim_id, lock=True)
        if claim.status != ClaimStatus.APPROVED:
            raise ClaimRefused(
                _("Only an approved claim can be marked paid; this one is %(status)s.")
                % {"status": claim.get_status_display()}
            )
        if paid_on > clock.today():
            raise ClaimRefused(_("The payment date cannot be in the future."))
        if claim.approved_at and paid_on < timezone.localdate(claim.approved_at):
            raise ClaimRefused(_("The payment date cannot be before the approval."))
        claim.status = ClaimStatus.PAID
        claim.paid_at = timezone.make_aware(dt.datetime.combine(paid_on, dt.time(12)))
        claim.save(update_fields=["status", "paid_at"])
        record("update", claim, ["status", "paid_at"])
        outbox.claim_event(claim)
        _tell_managers(Notice.CLAIM_PAID, claim, paid_on=paid_on)
    return claim


# --- the export for the finance system ----------------------------------------------------------

#: The finance export's columns: (header in the user's language, width in an Excel sheet).
EXPORT_COLUMNS = (
    (pgettext_lazy("finance export", "Claim month"), 12),
    (pgettext_lazy("finance export", "Facility number"), 13),
    (pgettext_lazy("finance export", "Facility"), 28),
    (pgettext_lazy("finance export", "Payer code"), 11),
    (pgettext_lazy("finance export", "Paying municipality"), 16),
    (pgettext_lazy("finance export", "Version"), 6),
    (pgettext_lazy("finance export", "Status"), 12),
    (pgettext_lazy("finance export", "Benefit (yen)"), 14),
    (pgettext_lazy("finance export", "Reduction reimbursed (yen)"), 16),
    (pgettext_lazy("finance export", "Total claimed (yen)"), 16),
    (pgettext_lazy("finance export", "Submitted on"), 12),
    (pgettext_lazy("finance export", "Approved on"), 12),
    (pgettext_lazy("finance export", "Paid on"), 12),
)
#: The yen columns (0-based), summed on the workbook's totals row.
YEN_COLUMNS = (7, 8, 9)


def export_headers() -> list[str]:
    """The finance export's headers in the user's language."""
    return [str(header) for header, _width in EXPORT_COLUMNS]


def _day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def _export_rows(claims: list[Claim]) -> list[tuple]:
    """One row per claim, as values (dates as dates, yen as whole numbers); the CSV writes
    them as text, the workbook as typed cells."""
    return [
        (
            dt.date(c.year, c.month, 1),
            c.facility.facility_number,
            c.facility.name,
            c.paying_municipality.code,
            c.paying_municipality.name,
            c.version,
            str(c.get_status_display()),
            c.total_benefit,
            c.total_reduction_reimbursed,
            c.total_benefit + c.total_reduction_reimbursed,
            _day(c.submitted_at),
            _day(c.approved_at),
            _day(c.paid_at),
        )
        for c in claims
    ]


def _exported(user, year: int, month: int) -> list[Claim]:
    return list(
        _received(user)
        .filter(year=year, month=month, status__in=EXPORTED)
        .order_by("facility__name", "facility_id")
    )


EXPORT_KINDS = ("csv", "xlsx")
#: The CSV's character encodings: UTF-8 with a byte-order mark (Excel reads it as UTF-8),
#: or Shift_JIS (Microsoft's cp932) for finance systems that read nothing else.
CSV_ENCODINGS = ("utf-8", "cp932")
#: What stands in a Shift_JIS file for a character it cannot hold (the geta mark, 〓, as
#: Japanese systems print an unrepresentable character).
GETA = "〓"


def export_month(
    user, year: int, month: int, kind: str, *, request_id: str, encoding: str = "utf-8"
) -> Sealed:
    """The month's approved and paid claims to the user's ward for the finance system, one row
    per claim with the facility's number (事業所番号), headers in the user's language, as CSV
    (UTF-8 with BOM or Shift_JIS; formula-safe cells: the claim CSV's escaping) or an Excel
    workbook (typed dates and numbers, widths, frozen header, totals row), sealed as a
    protected export (AES-256 ZIP) for ``user``. One ``export`` event per claim with the ZIP's
    SHA-256 (one on the ward's chain when the month is empty)."""
    if kind not in EXPORT_KINDS:
        raise ClaimRefused(_("Choose CSV or Excel."))
    if encoding not in CSV_ENCODINGS:
        raise ClaimRefused(_("Choose UTF-8 or Shift_JIS."))
    claims = _exported(user, year, month)
    data = _csv_file(claims, encoding) if kind == "csv" else _xlsx_file(claims, year, month)
    suffix = "-sjis" if kind == "csv" and encoding == "cp932" else ""
    name = f"claims-{year}{month:02d}{suffix}.{kind}"
    sealed = seal(user, request_id, name, data, municipality_id=user.municipality_id)
    if not claims:
        record("export", municipality_id=user.municipality_id, document_sha256=sealed.sha256)
    record_many("export", claims, document_sha256=sealed.sha256)
    return sealed


def _csv_text(value) -> str:
    """A CSV cell's text: a day as 2026/12/10 in Japanese (as Excel in Japan writes and reads
    a date), 2026-12-10 in another language."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m/%d") if dates.is_japanese() else value.isoformat()
    return value


def _csv_file(claims: list[Claim], encoding: str = "utf-8") -> bytes:
    rows = []
    for row in _export_rows(claims):
        month, *rest = row
        label = f"{month.year}年{month.month}月" if dates.is_japanese() else f"{month:%Y-%m}"
        rows.append([label, *(_csv_text(v) for v in rest)])
    text = csv_row(export_headers()) + "".join(csv_row(r) for r in rows)
    if encoding == "cp932":
        return text.encode("cp932", errors="geta")
    return (BOM + text).encode("utf-8")


def _geta(error: UnicodeEncodeError) -> tuple[str, int]:
    return GETA * (error.end - error.start), error.end


codecs.register_error("geta", _geta)


def _xlsx_file(claims: list[Claim], year: int, month: int) -> bytes:
    """The same rows in an Excel workbook: one sheet named ``YYYY-MM``, dates as dates and yen
    as numbers (with separators), the header frozen and bold, columns wide enough, and a
    totals row; text that would start a formula written as text (never run)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}-{month:02d}"
    sheet.append(export_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    rows = _export_rows(claims)
    month_format = 'yyyy"年"m"月"' if dates.is_japanese() else "yyyy-mm"
    day_format = "yyyy/mm/dd" if dates.is_japanese() else "yyyy-mm-dd"
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
        line = sheet.max_row
        sheet.cell(line, 1).number_format = month_format
        for column in (11, 12, 13):
            sheet.cell(line, column).number_format = day_format
    if rows:
        sheet.append(
            [str(pgettext_lazy("finance export", "Total"))]
            + [None] * (YEN_COLUMNS[0] - 1)
            + [sum(row[i] for row in rows) for i in YEN_COLUMNS]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for line in sheet.iter_rows(min_row=2, min_col=YEN_COLUMNS[0] + 1, max_col=YEN_COLUMNS[-1] + 1):
        for cell in line:
            cell.number_format = "#,##0"
    for index, (_header, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value):
    return formula_safe(value) if isinstance(value, str) else value
