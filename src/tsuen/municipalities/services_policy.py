"""The ward's policy per fiscal year: its versions, a new version, and the preview of one.

Reading: the ward's casework staff and its auditor (``POLICY_VIEW``); writing and previewing:
its administrator (``POLICY_EDIT``). A new version is checked by building the pure
``tsuen.rules.Policy``: any ``RuleError`` becomes a message in the user's language and nothing
is written. Versions are never edited: a change is a new row with a later ``effective_from``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsuen import rules
from tsuen.attendance.models import VISIT_MINUTES
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking.models import Booking, BookingStatus
from tsuen.booking.services import counting_bookings
from tsuen.certification.models import Certification
from tsuen.core import clock
from tsuen.families.models import HouseholdFeeClass
from tsuen.municipalities.models import (
    RULE_FIELDS,
    Municipality,
    MunicipalPolicy,
    policy_for,
    rules_for,
)

#: Every RuleError code building a policy can raise, as the ward administrator reads it.
RULE_MESSAGES = {
    "value_invalid": gettext_lazy("A setting has a value the rules do not accept."),
    "fiscal_year_invalid": gettext_lazy("The fiscal year is not valid."),
    "rates_invalid": gettext_lazy(
        "A bucket's prices need a whole number of yen, zero or more, for each age class 0, 1 and 2."
    ),
    "policy_value_invalid": gettext_lazy("A setting has a value the rules do not accept."),
    "policy_min_age_invalid": gettext_lazy("The minimum age must be 0 to 35 months."),
    "policy_no_caps": gettext_lazy("Set at least one hours cap."),
    "policy_cap_not_positive": gettext_lazy("Every hours cap must be above zero."),
    "policy_cap_below_national_hours": gettext_lazy(
        "A cap allows fewer hours than the national benefit gives every child; raise the cap."
    ),
    "policy_no_buckets": gettext_lazy("Set at least one funding bucket."),
    "policy_bucket_limit_not_positive": gettext_lazy(
        "A funding bucket's hours must be above zero (leave them empty for no limit)."
    ),
    "policy_unlimited_bucket_not_last": gettext_lazy(
        "Only the last funding bucket may have no limit."
    ),
    "policy_national_bucket_count": gettext_lazy(
        "There must be exactly one national funding bucket."
    ),
    "policy_national_bucket_not_first": gettext_lazy(
        "The national funding bucket must come first: national hours are used before top-ups."
    ),
    "policy_national_bucket_period": gettext_lazy(
        "The national funding bucket counts hours per calendar month and needs a limit."
    ),
    "policy_national_limit_out_of_range": gettext_lazy(
        "The national hours must be 3 to 10 hours a month up to FY2027, and 10 hours a month "
        "from FY2028."
    ),
    "policy_buckets_do_not_cover_caps": gettext_lazy(
        "The funding buckets cannot pay for all the hours the caps allow: raise the bucket "
        "hours, add a bucket, or leave the last bucket without a limit."
    ),
    "policy_extension_unfunded": gettext_lazy(
        "Eligibility runs to the end of the fiscal year, but the ward's own buckets (not the "
        "national one) cannot pay for all the hours the caps allow on those extra days."
    ),
    "policy_excluded_enrolments_missing_national": gettext_lazy(
        "Authorised nurseries, certified centres, community-based care and employer-led care "
        "are excluded nationally and must stay excluded."
    ),
    "policy_excluded_enrolments_not_allowed": gettext_lazy(
        "Unlicensed care and temporary care never exclude a child."
    ),
    "policy_billing_minimum_not_positive": gettext_lazy(
        "The minimum visit must be above zero minutes."
    ),
    "policy_billing_step_invalid": gettext_lazy(
        "The visit step must divide 60 minutes and the minimum visit."
    ),
    "policy_reduction_invalid": gettext_lazy("Fee reductions must be zero or more yen."),
    "policy_cancel_deadline_invalid": gettext_lazy(
        "The cancellation deadline needs zero or more days before and a time."
    ),
    "policy_booking_window_not_positive": gettext_lazy(
        "The booking window must be at least one day."
    ),
    "policy_staff_ratio_invalid": gettext_lazy(
        "Each age class needs a number of children per adult above zero."
    ),
    "policy_reduction_too_large": gettext_lazy("A fee reduction can be at most 3,000 yen an hour."),
    "policy_cap_period_repeated": gettext_lazy(
        "Two hours caps count over the same period: keep one cap per period."
    ),
    "policy_caps_out_of_order": gettext_lazy(
        "The monthly cap is above the fiscal-year cap: a month cannot allow more hours than "
        "the whole year."
    ),
    "policy_bucket_repeated": gettext_lazy(
        "Two funding buckets have the same payer and period: merge them into one."
    ),
    "policy_hours_above_period": gettext_lazy(
        "A cap or bucket allows more hours than its period has (a month has at most 744 hours)."
    ),
    "policy_price_too_large": gettext_lazy(
        "A bucket's own price can be at most 10,000 yen an hour."
    ),
}

#: Where on the editor each rule's refusal belongs (a field or a section of the form).
RULE_SECTIONS = {
    "policy_min_age_invalid": "min_age_months",
    "policy_excluded_enrolments_missing_national": "excluded_enrolments",
    "policy_excluded_enrolments_not_allowed": "excluded_enrolments",
    "policy_billing_minimum_not_positive": "billing_minimum_minutes",
    "policy_billing_step_invalid": "billing_step_minutes",
    "policy_cancel_deadline_invalid": "cancel_deadline_days_before",
    "policy_booking_window_not_positive": "booking_window_days",
    "policy_reduction_invalid": "reductions",
    "policy_reduction_too_large": "reductions",
    "policy_staff_ratio_invalid": "staff_ratios",
    "policy_no_caps": "caps",
    "policy_cap_not_positive": "caps",
    "policy_cap_below_national_hours": "caps",
    "policy_cap_period_repeated": "caps",
    "policy_caps_out_of_order": "caps",
    "policy_hours_above_period": "caps",
    "fiscal_year_invalid": "fiscal_year",
}
#: Every other code of a policy concerns the funding buckets, else the whole version.
BUCKET_CODES_START = ("policy_bucket", "policy_national", "policy_unlimited", "policy_buckets")


def rule_section(code: str) -> str:
    if code in RULE_SECTIONS:
        return RULE_SECTIONS[code]
    if code.startswith(BUCKET_CODES_START) or code in (
        "rates_invalid",
        "policy_extension_unfunded",
        "policy_price_too_large",
    ):
        return "buckets"
    return "__all__"


#: The settings a version holds (audited by name on creation): the rules' columns and the day
#: the version takes effect.
SETTINGS = (RULE_FIELDS[0], "effective_from", *RULE_FIELDS[1:])


class PolicyInvalid(ValidationError):
    """The new version is refused; ``messages`` say why, in the user's language, and
    ``message_dict`` where: a setting's name, ``caps``, ``buckets``, ``reductions``,
    ``staff_ratios``, or ``__all__``."""


def rule_message(error: rules.RuleError) -> str:
    return str(RULE_MESSAGES.get(error.code, RULE_MESSAGES["policy_value_invalid"]))


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalYearVersions:
    fiscal_year: int
    versions: list[MunicipalPolicy]


@dataclass(frozen=True)
class VersionsPage:
    municipality: Municipality
    years: list[FiscalYearVersions]
    in_force: MunicipalPolicy | None
    can_edit: bool


def _ward(user, action: Action) -> Municipality:
    """The user's own ward, if ``action`` reaches it (404 otherwise)."""
    require(user, action, MunicipalPolicy)
    return get_or_404(user, action, Municipality.objects.all(), pk=user.municipality_id)


def editable_ward(user) -> Municipality:
    """The ward whose policy the user may edit (404 otherwise): a check before any form."""
    return _ward(user, Action.POLICY_EDIT)


def versions_page(user) -> VersionsPage:
    """The ward's versions by fiscal year (newest year first) and the one in force today."""
    ward = _ward(user, Action.POLICY_VIEW)
    rows = filter_allowed(
        user, Action.POLICY_VIEW, MunicipalPolicy.objects.filter(municipality=ward)
    ).select_related("created_by")
    by_year: dict[int, list[MunicipalPolicy]] = defaultdict(list)
    for row in rows.order_by("-fiscal_year", "effective_from"):
        by_year[row.fiscal_year].append(row)
    in_force = _in_force(ward.pk, clock.today())
    return VersionsPage(
        municipality=ward,
        years=[FiscalYearVersions(fy, versions) for fy, versions in by_year.items()],
        in_force=in_force,
        can_edit=filter_allowed(
            user, Action.POLICY_EDIT, Municipality.objects.filter(pk=ward.pk)
        ).exists(),
    )


def version(user, policy_id: int) -> MunicipalPolicy:
    return get_or_404(
        user,
        Action.POLICY_VIEW,
        MunicipalPolicy.objects.select_related("created_by", "municipality"),
        pk=policy_id,
    )


def _in_force(municipality_id: int, day: dt.date) -> MunicipalPolicy | None:
    try:
        return policy_for(municipality_id, day)
    except MunicipalPolicy.DoesNotExist:
        return None


def fiscal_years(today: dt.date | None = None) -> list[int]:
    """The years a new version may be written for: this fiscal year and the next."""
    current = rules.fiscal_year_of(today or clock.today())
    return [current, current + 1]


def free_effective_date(municipality_id: int, today: dt.date) -> dt.date:
    """The first day a new version can take effect without colliding with a saved one or
    being overtaken by one: tomorrow, or the day after the latest version written for a day
    after today."""
    latest = (
        MunicipalPolicy.objects.filter(municipality_id=municipality_id, effective_from__gt=today)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    return max(today, latest or today) + dt.timedelta(days=1)


def starting_point(user) -> MunicipalPolicy:
    """An unsaved version to prefill the editor: the settings in force on its effective date
    (:func:`free_effective_date`), else the national defaults of that day's fiscal year."""
    ward = _ward(user, Action.POLICY_EDIT)
    day = free_effective_date(ward.pk, clock.today())
    return MunicipalPolicy.from_rules(ward, rules_for(ward.pk, day), day)


# --- checking and saving ------------------------------------------------------------------------


def build(user, values: dict) -> tuple[MunicipalPolicy, rules.Policy]:
    """An unsaved version of the user's ward from ``values`` (the model's field names), checked:
    the effective date lies in the fiscal year, is not in the past and is not taken; the rules
    accept the settings. Raises PolicyInvalid."""
    ward = _ward(user, Action.POLICY_EDIT)
    row = MunicipalPolicy(municipality=ward, **{k: values[k] for k in SETTINGS})
    problems: dict[str, list[str]] = defaultdict(list)
    first, last = rules.fiscal_year_bounds(row.fiscal_year)
    if not first <= row.effective_from <= last:
        problems["effective_from"].append(
            _("The effective date must lie in fiscal year %(year)s (%(first)s to %(last)s).")
            % {"year": row.fiscal_year, "first": first, "last": last}
        )
    if row.effective_from < clock.today():
        problems["effective_from"].append(_("The effective date cannot be in the past."))
    if MunicipalPolicy.objects.filter(
        municipality=ward, fiscal_year=row.fiscal_year, effective_from=row.effective_from
    ).exists():
        problems["effective_from"].append(
            _("A version of this fiscal year already takes effect on %(day)s; choose another day.")
            % {"day": row.effective_from}
        )
    problems["buckets"] += _payer_problems(row.buckets)
    # Caps are kept in one order: the month's, then the fiscal year's.
    row.caps = sorted(row.caps, key=lambda c: c.get("period") != rules.Period.MONTH)
    policy = None
    if not problems["buckets"]:
        try:
            policy = row.to_rules()
        except rules.RuleError as error:
            problems[rule_section(error.code)].append(rule_message(error))
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        raise PolicyInvalid(problems)
    return row, policy


def _payer_problems(buckets: list[dict]) -> list[str]:
    """Every bucket's payer comes from the list (national, the prefecture, the ward), and only
    the national payer's bucket is the national benefit."""
    problems = []
    for bucket in buckets:
        payer = bucket.get("payer")
        if payer not in rules.PAYERS:
            problems.append(
                _(
                    "“%(payer)s” is not a payer: choose the national benefit, the prefecture "
                    "or the ward."
                )
                % {"payer": payer}
            )
        elif bool(bucket.get("national")) != (payer == rules.NATIONAL_PAYER):
            problems.append(_("Only the national payer's bucket is the national benefit."))
    return problems


def save_version(user, values: dict) -> MunicipalPolicy:
    """Write the new version (or nothing: PolicyInvalid), audited as a creation."""
    with transaction.atomic():
        row, _policy = build(user, values)
        row.created_by = user
        row.save()
        record("create", row, fields=SETTINGS)
    return row


# --- the preview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildLine:
    certificate: str
    name: str


@dataclass(frozen=True)
class Preview:
    """What the new version does to next month's live bookings of the ward's children."""

    month: dt.date
    applies: bool  # False: the version is not in force in that month
    bookings: int
    over_cap: list[tuple[ChildLine, rules.CapExcess]]
    outside_window: list[tuple[ChildLine, dt.date]]
    fee_changes: int
    fee_difference: int
    eligibility: list[tuple[ChildLine, rules.EligibilityChange]]


def _next_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _fee_class(rows: list[HouseholdFeeClass], day: dt.date) -> rules.FeeClass:
    """The household's fee class on ``day`` from its rows (newest first)."""
    for row in rows:
        if row.valid_from <= day and (row.valid_to is None or row.valid_to >= day):
            return rules.FeeClass(row.fee_class) if row.fee_class else rules.FeeClass.NONE
    return rules.FeeClass.NONE


def preview(user, values: dict) -> Preview:
    """Check ``values`` like :func:`build` (PolicyInvalid) and compare the new version with the
    one it would follow for next month's confirmed bookings of the ward's children, from the
    new version's effective date. Five queries whatever the number of bookings; one audit
    event per child shown."""
    row, new = build(user, values)
    today = clock.today()
    month = _next_month(today)
    month_end = rules.month_bounds(month)[1]
    if not (row.effective_from <= month_end and rules.fiscal_year_of(month) == row.fiscal_year):
        return Preview(month, False, 0, [], [], 0, 0, [])
    start = max(month, row.effective_from)
    old = rules_for(row.municipality_id, start)
    bookings = list(
        filter_allowed(
            user,
            Action.BOOKING_VIEW,
            Booking.objects.filter(
                date__range=(start, month_end),
                status=BookingStatus.CONFIRMED,
                child__household__municipality=row.municipality,
            ),
        )
        .select_related("child", "facility")
        .order_by("date", "starts_at")
    )
    children = {b.child_id: b.child for b in bookings}
    first_counted = min(month, rules.fiscal_year_bounds(row.fiscal_year)[0])
    counted: dict[int, list[rules.Visit]] = defaultdict(list)
    # Each visit's billed minutes (its real times once checked out), as the hours page counts.
    counting = counting_bookings(children, first_counted, month_end).annotate(
        counted_minutes=VISIT_MINUTES
    )
    for child_id, day, minutes in counting.values_list("child_id", "date", "counted_minutes"):
        counted[child_id].append(rules.Visit(day, minutes))
    fee_rows: dict[int, list[HouseholdFeeClass]] = defaultdict(list)
    households = {c.household_id for c in children.values()}
    for fee_row in HouseholdFeeClass.unscoped.filter(household_id__in=households).order_by(
        "-valid_from", "-pk"
    ):
        fee_rows[fee_row.household_id].append(fee_row)
    certificates = dict(
        Certification.objects.filter(child_id__in=children)
        .order_by("child_id", "valid_from")
        .values_list("child_id", "number")
    )
    booked: dict[int, list[rules.BookedVisit]] = defaultdict(list)
    for b in bookings:
        household_id = b.child.household_id
        booked[b.child_id].append(
            rules.BookedVisit(
                b.date,
                b.billable_minutes,
                b.facility.fee_per_hour,
                _fee_class(fee_rows[household_id], b.date),
                b.facility.municipality_id == row.municipality_id,
            )
        )
    effect = rules.policy_change_effect(
        old,
        new,
        start,
        today,
        (
            rules.ChildBookings(pk, child.birth_date, tuple(counted[pk]), tuple(booked[pk]))
            for pk, child in children.items()
        ),
    )

    def line(child_id: int) -> ChildLine:
        child = children[child_id]
        return ChildLine(certificates.get(child_id, "—"), child.full_name)

    shown = (
        {e.key for e in effect.over_cap}
        | {key for key, _day in effect.outside_window}
        | {e.key for e in effect.eligibility}
    )
    record_many("read", [children[pk] for pk in sorted(shown)], ["family_name", "given_name"])
    return Preview(
        month=month,
        applies=True,
        bookings=len(bookings),
        over_cap=[(line(e.key), e) for e in effect.over_cap],
        outside_window=[(line(key), day) for key, day in effect.outside_window],
        fee_changes=effect.fee_changes,
        fee_difference=effect.fee_difference,
        eligibility=[(line(e.key), e) for e in effect.eligibility],
    )
