"""What a ward's back-office systems exchange with tsuen (issue 13), as services.

* :func:`write_back_fee_classes`: the tax system's fee-class decisions (利用者負担区分) for many
  certificates at once, validated row by row, written all or nothing;
* :func:`ward_claims`: the claims sent to the ward, with their payment status;
* :func:`ward_facilities`: the ward's facility register.

The change feed of certifications is ``certification.changes``. The API (``tsuen.api.ward``)
and any other caller go through these; the authorization layer decides what the acting user (a
ward's staff member or API client) reaches. See docs/ward-sync.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tsuen.authz.policy import Action, filter_allowed, require
from tsuen.certification.lifecycle import LifecycleInvalid, write_fee_class
from tsuen.certification.models import Certification
from tsuen.core import dates
from tsuen.families.models import FeeClass, Household, HouseholdFeeClass

#: The most rows one write-back takes (a ward's September run is split into calls this big).
MAX_ROWS = 5000


@dataclass(frozen=True)
class FeeClassRow:
    """One decision as the tax system sends it: dates as ISO text (YYYY-MM-DD) or dates."""

    number: str
    fee_class: str
    valid_from: str | dt.date | None
    valid_to: str | dt.date | None = None


@dataclass(frozen=True)
class RejectedRow:
    row: int  # 1-based position in the rows sent
    number: str
    code: str  # number_missing, not_found, fee_class, date, dates_reversed, duplicate,
    #            conflict, overlap_in_file, overlap (with a class already held)
    message: str  # in the active language


class WriteBackInvalid(ValidationError):
    """The whole write-back is refused (``rejected`` lists each row refused, maybe none)."""

    def __init__(self, message, *, code: str, rejected: list[RejectedRow] = ()):
        super().__init__(message, code=code)
        self.rejected = list(rejected)


@dataclass(frozen=True)
class WriteBackDone:
    rows: int  # rows accepted (all of them)
    decisions: int  # fee-class rows written (identical rows for siblings are one decision)
    households: int
    written: list[HouseholdFeeClass]


@dataclass
class _Row:
    row: int
    number: str
    fee_class: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    household_id: int | None = None


#: The dates a fee-class decision may name (anything else is a typing mistake).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _text(value) -> str:
    """The value as text that can be stored, compared and shown: characters that cannot be
    encoded (lone surrogates) and NUL become U+FFFD, so they match nothing and echo safely."""
    text = "" if value is None else str(value)
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _date(value) -> tuple[dt.date | None, bool]:
    """(the date, whether it was readable and plausible); an empty value is (None, True)."""
    if value is None or value == "":
        return None, True
    if isinstance(value, dt.datetime):
        return None, False
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(_text(value).strip())
        except ValueError:
            return None, False
    return (value, True) if EARLIEST <= value <= LATEST else (None, False)


def _overlap(a: _Row, b: _Row) -> bool:
    return (b.valid_to is None or a.valid_from <= b.valid_to) and (
        a.valid_to is None or b.valid_from <= a.valid_to
    )


def may_write_back(staff) -> None:
    """404 unless ``staff`` decides fee classes for a ward (the reviewer, the administrator, or
    a client acting for them)."""
    require(staff, Action.HOUSEHOLD_FEE_CLASS_VERIFY, Household)


def write_back_fee_classes(
    staff, rows: list[FeeClassRow], *, unmodified_since: dt.datetime | None = None
) -> WriteBackDone:
    """Write the tax system's fee-class decisions, all or nothing.

    Every row is checked: a certificate number of the ward (another ward's number reads as not
    found), a known class, readable dates in order, no row repeated or contradicted by another
    row for the same household, no overlap with a class the household already holds (the rules
    of ``lifecycle.set_fee_class``: a row from the same day is corrected, the latest open row is
    closed the day before a new class starts). Identical rows for siblings are one decision.
    When any row is refused nothing is written and :class:`WriteBackInvalid` (code
    ``rows_rejected``) lists every refused row; otherwise all are written in one transaction,
    each audited, and the households' certifications enter the change feed.

    ``unmodified_since`` (the time the tax system read the classes it decided on): a row whose
    household's fee class was written after it is refused (code ``changed_since``), so a stale
    file cannot overwrite what the ward's desk changed since.
    """
    may_write_back(staff)
    if not rows:
        raise WriteBackInvalid(_("The file has no rows."), code="empty")
    if len(rows) > MAX_ROWS:
        raise WriteBackInvalid(
            _("At most %(max)s rows can be sent at once; split the file.") % {"max": MAX_ROWS},
            code="too_many",
        )
    rejected: dict[int, RejectedRow] = {}

    def refuse(r: _Row, code: str, message: str) -> None:
        rejected.setdefault(r.row, RejectedRow(r.row, r.number, code, message))

    parsed = []
    for index, raw in enumerate(rows, start=1):
        valid_from, from_ok = _date(raw.valid_from)
        valid_to, to_ok = _date(raw.valid_to)
        number, fee_class = _text(raw.number).strip(), _text(raw.fee_class)
        r = _Row(index, number, fee_class, valid_from, valid_to)
        parsed.append(r)
        if not r.number:
            refuse(r, "number_missing", _("The certificate number is missing."))
        elif r.fee_class not in FeeClass.values:
            refuse(
                r,
                "fee_class",
                _("“%(value)s” is not a fee class (use one of %(classes)s).")
                % {"value": r.fee_class, "classes": ", ".join(FeeClass.values)},
            )
        elif not from_ok or not to_ok or valid_from is None:
            refuse(r, "date", _("Write the dates as YYYY-MM-DD; the start date is required."))
        elif valid_to is not None and valid_to < valid_from:
            refuse(r, "dates_reversed", _("The end of validity cannot be before its start."))

    numbers = {r.number for r in parsed if r.number}
    households = filter_allowed(staff, Action.HOUSEHOLD_FEE_CLASS_VERIFY, Household.objects.all())
    found = dict(
        filter_allowed(
            staff, Action.CERTIFICATION_VIEW, Certification.objects.filter(number__in=numbers)
        )
        .filter(child__household__in=households)
        .values_list("number", "child__household_id")
    )
    for r in parsed:
        if r.number and r.number not in found:
            refuse(
                r,
                "not_found",
                _("No certificate %(number)s was found in this municipality.")
                % {"number": r.number},
            )
        r.household_id = found.get(r.number)

    # Rows for the same household, compared with each other (the later row is reported).
    decisions: list[_Row] = []
    by_household: dict[int, list[_Row]] = defaultdict(list)
    siblings: dict[int, list[_Row]] = defaultdict(list)
    for r in parsed:
        if r.row in rejected:
            continue
        earlier = by_household[r.household_id]
        same = next((e for e in earlier if e.valid_from == r.valid_from), None)
        if same is not None:
            if same.number == r.number:
                refuse(
                    r,
                    "duplicate",
                    _("Row %(row)s already gives this certificate a class from this date.")
                    % {"row": same.row},
                )
            elif (same.fee_class, same.valid_to) != (r.fee_class, r.valid_to):
                refuse(
                    r,
                    "conflict",
                    _(
                        "Row %(row)s gives the same household another decision from this "
                        "date (certificate %(number)s)."
                    )
                    % {"row": same.row, "number": same.number},
                )
            else:  # a sibling's identical row: the same decision, written once
                siblings[same.row].append(r)
            continue
        clash = next((e for e in earlier if _overlap(r, e)), None)
        if clash is not None:
            refuse(
                r,
                "overlap_in_file",
                _("The validity overlaps row %(row)s for the same household.") % {"row": clash.row},
            )
            continue
        earlier.append(r)
        decisions.append(r)

    written: list[HouseholdFeeClass] = []
    try:
        with transaction.atomic():
            locked = {
                h.pk: h
                for h in Household.objects.select_for_update()
                .filter(pk__in={r.household_id for r in decisions})
                .order_by("pk")
            }
            if unmodified_since is not None:
                _refuse_changed_since(decisions, siblings, unmodified_since, refuse)
            # By start date: a class from April is written before the one from September, which
            # then closes it (as the ward's desk would enter them).
            for r in sorted(decisions, key=lambda r: (r.valid_from, r.row)):
                if r.row in rejected:
                    continue
                try:
                    with transaction.atomic():
                        written.append(
                            write_fee_class(
                                staff, locked[r.household_id], r.fee_class, r.valid_from, r.valid_to
                            )
                        )
                except LifecycleInvalid as refusal:
                    for each in [r, *siblings[r.row]]:
                        refuse(each, refusal.code or "overlap", " ".join(refusal.messages))
            if rejected:
                raise _Undo
    except _Undo:
        report = sorted(rejected.values(), key=lambda r: r.row)
        raise WriteBackInvalid(
            _("%(count)s of %(total)s rows were refused; nothing was written.")
            % {"count": len(report), "total": len(rows)},
            code="rows_rejected",
            rejected=report,
        ) from None
    return WriteBackDone(
        rows=len(rows),
        decisions=len(written),
        households=len({r.household_id for r in decisions}),
        written=written,
    )


def _refuse_changed_since(decisions, siblings, since: dt.datetime, refuse) -> None:
    """Refuse the rows whose household's fee class was written after ``since`` (the households
    are locked: nothing changes them meanwhile)."""
    from django.db.models import Max

    latest = dict(
        HouseholdFeeClass.objects.filter(household_id__in={r.household_id for r in decisions})
        .values("household_id")
        .annotate(at=Max("verified_at"))
        .values_list("household_id", "at")
    )
    for r in decisions:
        at = latest.get(r.household_id)
        if at is not None and at > since:
            for each in [r, *siblings[r.row]]:
                refuse(
                    each,
                    "changed_since",
                    _(
                        "The household's fee class was changed on %(when)s, after the data "
                        "this file was made from; read it again first."
                    )
                    % {"when": dates.datetime_text(at)},
                )


class _Undo(Exception):
    """Rolls the write-back's transaction back when a row was refused."""


# --- reads: claims with their payment status, the facility register ----------------------------


def ward_claims(
    user, *, year: int | None = None, month: int | None = None, status: str = ""
) -> QuerySet:
    """The claims sent to ``user``'s ward (never a facility's draft), with their payment status
    (status, submitted / approved / paid times and totals), oldest first (by id, for cursors).
    The ward's claim review's own reach (``billing.services_review``): 404 for anyone else."""
    from tsuen.billing.models import Claim
    from tsuen.billing.services_review import RECEIVED, may_review

    may_review(user)
    claims = filter_allowed(
        user, Action.CLAIM_APPROVE, Claim.objects.filter(status__in=RECEIVED)
    ).select_related("facility", "paying_municipality")
    if year:
        claims = claims.filter(year=year)
    if month:
        claims = claims.filter(month=month)
    if status:
        claims = claims.filter(status=status)
    return claims.order_by("pk")


#: What a ward system reads of a claim (and the audit log records as read).
CLAIM_FIELDS = (
    "status",
    "submitted_at",
    "approved_at",
    "paid_at",
    "total_benefit",
    "total_reduction_reimbursed",
)


def claims_page(user, *, after: int = 0, limit: int = 50, **filters) -> tuple[list, bool]:
    """(the next ``limit`` claims of :func:`ward_claims` after id ``after``, whether more
    follow); the claims answered are recorded as read."""
    from tsuen.audit import record_many

    rows = list(ward_claims(user, **filters).filter(pk__gt=after)[: limit + 1])
    shown = rows[:limit]
    record_many("read", shown, fields=CLAIM_FIELDS)
    return shown, len(rows) > limit


def ward_facilities(user) -> QuerySet:
    """The ward's facility register (``facilities.services_ward.register``), by id."""
    from tsuen.facilities.services_ward import register

    return register(user).order_by("pk")
