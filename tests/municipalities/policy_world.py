"""A small ward for the policy editor's tests: 26 November 2026, an administrator, a version in
force since April (48 hours a month, the national 10 first), children booked in December."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.facilities.models import PlaceSlot
from tsuen.families.models import HouseholdFeeClass
from tsuen.municipalities.models import MunicipalPolicy

TODAY = dt.datetime(2026, 11, 26, 10, 0)
DECEMBER = dt.date(2026, 12, 1)


def ward_policy(fiscal_year: int = 2026, **changes) -> rules.Policy:
    values = dict(
        caps=(rules.Cap(rules.Period.MONTH, 48 * 60),),
        buckets=(
            rules.FundingBucket("national", rules.Period.MONTH, 600, national=True),
            rules.FundingBucket("ward", rules.Period.MONTH, None, national=False),
        ),
    )
    return rules.Policy(fiscal_year, **(values | changes))


def ward_with_policy(**kw):
    ward = f.municipality(name="新宿区", **kw)
    MunicipalPolicy.from_rules(ward, ward_policy(), dt.date(2026, 4, 1)).save()
    return ward


def staff(ward, role=Role.MUNICIPAL_ADMIN):
    user = f.user(role, municipality=ward)
    f.second_factor(user)
    return user


def booked_child(ward, facility, by, days, *, hours=4, fee_class=None, **child):
    """A certified child of the ward with a booking of ``hours`` on each day of ``days``."""
    guardian, household, kid = f.family(ward, **child)
    f.certification(kid, by, number=f"SJ2026-{kid.pk:05d}")
    if fee_class:
        HouseholdFeeClass.objects.create(
            household=household, fee_class=fee_class, valid_from=dt.date(2026, 4, 1)
        )
    for day in days:
        slot, _new = PlaceSlot.objects.get_or_create(
            facility=facility,
            date=day,
            starts_at=dt.time(9),
            age_class=1,
            defaults={"ends_at": dt.time(17), "capacity": 20},
        )
        f.booking(kid, slot, guardian, start=dt.time(9), end=dt.time(9 + hours))
    return kid


def values(**changes) -> dict:
    """The model's field values of a valid new version (the ward's current one from 1 Dec)."""
    row = MunicipalPolicy.from_rules(None, ward_policy(), DECEMBER)
    base = {
        name: getattr(row, name)
        for name in (
            "fiscal_year", "effective_from", "min_age_months", "eligibility_end",
            "excluded_enrolments", "billing_minimum_minutes", "billing_step_minutes", "caps",
            "buckets", "reductions_per_hour", "free_for_residents",
            "cancel_deadline_days_before", "cancel_deadline_time", "late_cancellation_counts",
            "no_show_counts", "booking_window_days", "staff_ratios",
        )
    }  # fmt: skip
    return base | changes


def form_data(v: dict, *, action: str = "save") -> dict:
    """``values`` as the editor posts them."""
    data = {
        "fiscal_year": v["fiscal_year"],
        "effective_from": v["effective_from"].isoformat(),
        "eligibility_end": v["eligibility_end"],
        "min_age_months": v["min_age_months"],
        "excluded_enrolments": list(v["excluded_enrolments"]),
        "billing_minimum_minutes": v["billing_minimum_minutes"],
        "billing_step_minutes": v["billing_step_minutes"],
        "booking_window_days": v["booking_window_days"],
        "cancel_deadline_days_before": v["cancel_deadline_days_before"],
        "cancel_deadline_time": v["cancel_deadline_time"].strftime("%H:%M"),
        action: "1",
    }
    for flag in ("late_cancellation_counts", "no_show_counts", "free_for_residents"):
        if v[flag]:
            data[flag] = "on"
    for fee_class, yen in v["reductions_per_hour"].items():
        data[f"reduction_{fee_class}"] = yen
    for age, ratio in v["staff_ratios"].items():
        data[f"staff_ratio_{age}"] = ratio
    for prefix, rows in (("caps", v["caps"]), ("buckets", v["buckets"])):
        data |= {
            f"{prefix}-TOTAL_FORMS": len(rows),
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 6,
        }
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-period"] = row["period"]
            minutes = row["limit_minutes"]
            data[f"{prefix}-{i}-hours"] = "" if minutes is None else str(minutes / 60)
            if prefix == "buckets":
                data[f"{prefix}-{i}-payer"] = row["payer"]
                if row["national"]:
                    data[f"{prefix}-{i}-national"] = "on"
                for age, yen in (row.get("rates") or {}).get("base_per_hour", {}).items():
                    data[f"{prefix}-{i}-rate_{age}"] = yen
    return data
