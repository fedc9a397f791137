"""The change feed a ward system follows (issue 13): which certifications changed since a cursor.

Every change a ward's back-office system must know about -- a certification issued, its
validity shortened, its household's fee class (利用者負担区分) decided, its status ended --
appends a :class:`~tsuen.certification.models.CertificationChange` row with :func:`note` (or
:func:`note_fee_class`) in the transaction that makes the change. The services that change
certifications call it explicitly (``services.certify``, ``lifecycle.write_fee_class``,
``lifecycle.end_certification``, ``lifecycle.end_expired``); no signal does it behind their
back. :func:`changes_since` reads the log after an opaque cursor and answers each certification
changed with its state *now* (number, validity, fee class, status). See docs/ward-sync.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from tsuen.audit import record_many
from tsuen.authz.policy import Action, filter_allowed, require
from tsuen.certification.models import Certification, CertificationChange, ChangeKind
from tsuen.core import clock
from tsuen.families.models import Household, HouseholdFeeClass

#: What the feed reads of a certificate (and records in the audit log as read).
FEED_FIELDS = ("number", "valid_from", "valid_to", "status", "ended_on", "end_reason")
FEE_CLASS_FIELDS = ("fee_class", "valid_from", "valid_to")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_CURSOR_SALT = "tsuen.certification.changes.cursor"


class FeedInvalid(ValidationError):
    """A cursor that this system did not give to this ward, or a limit out of range."""


# --- writing the log ----------------------------------------------------------------------------


def note(certifications: Iterable[Certification], kind: ChangeKind | str) -> None:
    """Append one change row per certification (call inside the changing transaction)."""
    now = clock.now()
    rows = [
        CertificationChange(
            municipality_id=c.municipality_id, certification_id=c.pk, kind=kind, changed_at=now
        )
        for c in certifications
    ]
    if rows:
        CertificationChange.unscoped.bulk_create(rows)


def note_fee_class(household: Household) -> None:
    """The household's fee class changed: every certification of its children in its ward."""
    note(
        Certification.unscoped.filter(
            child__household_id=household.pk, municipality_id=household.municipality_id
        ).order_by("pk"),
        ChangeKind.FEE_CLASS,
    )


# --- cursors ------------------------------------------------------------------------------------


def cursor_for(municipality_id: int, after: int) -> str:
    """An opaque cursor: the last change id read, signed and bound to the ward."""
    return signing.dumps({"m": municipality_id, "a": after}, salt=_CURSOR_SALT)


def _after(cursor: str | None, municipality_id: int) -> int:
    if not cursor:
        return 0
    try:
        value = signing.loads(cursor, salt=_CURSOR_SALT)
    except (signing.BadSignature, ValueError):  # also undecodable text
        value = None
    if (
        not isinstance(value, dict)
        or value.get("m") != municipality_id
        or not isinstance(value.get("a"), int)
        or value["a"] < 0
    ):
        raise FeedInvalid(
            _("The cursor is not one this system gave; start again without a cursor."),
            code="cursor",
        )
    return value["a"]


# --- reading the feed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeClassPeriod:
    fee_class: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class ChangedCertification:
    certification: Certification
    kinds: list[str]  # what changed since the cursor, in the order of the log
    changed_at: dt.datetime  # the latest change
    fee_class: str | None  # the class on the reference day (see :func:`reference_day`)
    fee_classes: list[FeeClassPeriod]  # the household's classes overlapping the validity


@dataclass(frozen=True)
class ChangePage:
    items: list[ChangedCertification]  # oldest change first
    next_cursor: str  # store it; the next call passes it (the same cursor when nothing new)
    has_more: bool  # call again at once with next_cursor


def reference_day(certification: Certification, today: dt.date) -> dt.date:
    """Today within the certification's validity (its first day when it starts later, its
    last day when it is over): the day whose fee class the feed gives as ``fee_class``."""
    return min(max(today, certification.valid_from), certification.valid_to)


def _on(periods: list[FeeClassPeriod], day: dt.date) -> str | None:
    for p in reversed(periods):
        if p.valid_from <= day and (p.valid_to is None or day <= p.valid_to):
            return p.fee_class
    return None


def may_follow(user) -> None:
    """404 unless ``user`` acts for a ward that reads its certificates and fee classes."""
    require(user, Action.CERTIFICATION_VIEW, Certification)
    require(user, Action.FEE_CLASS_DESK_VIEW, Household)
    if not getattr(user, "municipality_id", None):
        raise Http404


def held(user):
    """The certifications ``user``'s ward holds: its own certificates, whose household's fee
    class it reads (query conditions of the one authorization layer)."""
    households = filter_allowed(user, Action.FEE_CLASS_DESK_VIEW, Household.objects.all())
    return filter_allowed(user, Action.CERTIFICATION_VIEW, Certification.objects.all()).filter(
        child__household__in=households
    )


def changes_since(user, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> ChangePage:
    """The certifications of ``user``'s ward changed after ``cursor`` (from the start without
    one), each once, with its state now; at most ``limit`` log rows are read per call. A cursor
    from elsewhere raises :class:`FeedInvalid` (code ``cursor``). Every certificate and fee-class
    row answered is recorded as read."""
    may_follow(user)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise FeedInvalid(
            _("The limit must be a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT},
            code="limit",
        )
    municipality_id = user.municipality_id
    after = _after(cursor, municipality_id)
    log = list(
        CertificationChange.objects.filter(
            municipality_id=municipality_id, pk__gt=after, certification__in=held(user)
        ).order_by("pk")[: limit + 1]
    )
    has_more = len(log) > limit
    log = log[:limit]
    last: dict[int, CertificationChange] = {}
    kinds: dict[int, list[str]] = {}
    for row in log:
        last.pop(row.certification_id, None)
        last[row.certification_id] = row  # insertion order: by latest change
        seen = kinds.setdefault(row.certification_id, [])
        if row.kind not in seen:
            seen.append(row.kind)
    certifications = {
        c.pk: c for c in held(user).filter(pk__in=list(last)).select_related("child").order_by("pk")
    }
    households = {c.child.household_id for c in certifications.values()}
    fee_rows = list(
        HouseholdFeeClass.objects.filter(household_id__in=households).order_by("valid_from", "pk")
    )
    by_household: dict[int, list[HouseholdFeeClass]] = {}
    for row in fee_rows:
        by_household.setdefault(row.household_id, []).append(row)
    today = clock.today()
    items, shown_fee_rows = [], {}
    for pk, change in last.items():
        certification = certifications.get(pk)
        if certification is None:  # deleted since (retention): nothing left to tell
            continue
        periods = []
        for row in by_household.get(certification.child.household_id, []):
            if row.valid_from <= certification.valid_to and (
                row.valid_to is None or row.valid_to >= certification.valid_from
            ):
                periods.append(FeeClassPeriod(row.fee_class, row.valid_from, row.valid_to))
                _row, children = shown_fee_rows.setdefault(row.pk, (row, []))
                if certification.child not in children:
                    children.append(certification.child)
        items.append(
            ChangedCertification(
                certification=certification,
                kinds=kinds[pk],
                changed_at=change.changed_at,
                fee_class=_on(periods, reference_day(certification, today)),
                fee_classes=periods,
            )
        )
    record_many("read", [i.certification for i in items], fields=FEED_FIELDS)
    record_many(
        "read",
        [row for row, _children in shown_fee_rows.values()],
        fields=FEE_CLASS_FIELDS,
        subjects=lambda row: shown_fee_rows[row.pk][1],
    )
    next_after = log[-1].pk if log else after
    return ChangePage(items, cursor_for(municipality_id, next_after), has_more)
