"""A billing scene: a Shinjuku-like ward (national 10 h a month, then Tokyo without limit), a
facility there, and helpers to record visits as attended."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests import factories as f
from tests.booking.scene import set_policy
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.facilities.models import PlaceSlot
from tsuen.families.models import HouseholdFeeClass

JST = timezone.get_fixed_timezone(9 * 60)
#: The claims of November 2026 are made on 1 December.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)

SHINJUKU_LIKE = rules.Policy(
    2026,
    eligibility_end=rules.EligibilityEnd.FISCAL_YEAR_END_AGE_3,
    caps=(rules.Cap(rules.Period.FISCAL_YEAR, 160 * 60),),
    buckets=(
        rules.FundingBucket("national", rules.Period.MONTH, 600, national=True),
        rules.FundingBucket("tokyo", rules.Period.FISCAL_YEAR, None, national=False),
    ),
)


def ward(policy: rules.Policy | None = SHINJUKU_LIKE):
    muni = f.municipality()
    set_policy(muni, policy or rules.national_default_policy(2026))
    return muni


def manager_of(facility):
    user = f.user(Role.FACILITY_MANAGER, facility=facility)
    f.second_factor(user)
    return user


def fee_class(household, fee_class: str, valid_from=dt.date(2026, 4, 1)):
    return HouseholdFeeClass.objects.create(
        household=household, fee_class=fee_class, valid_from=valid_from
    )


def visit(child, facility, day: dt.date, start=dt.time(10), end=dt.time(12), out=None):
    """A booking at `facility` attended from `start` to `out` (default: the booked end)."""
    age_class = rules.age_class(child.birth_date, 2026)
    slot = PlaceSlot.objects.filter(facility=facility, date=day, age_class=age_class).first()
    slot = slot or f.place_slot(facility, day, age_class=age_class, capacity=20)
    guardian_user = child.household.guardians.first().user
    booking = f.booking(child, slot, guardian_user, start=start, end=end)
    return Attendance.objects.create(
        booking=booking,
        status=AttendanceStatus.PRESENT,
        checked_in_at=dt.datetime.combine(day, start, tzinfo=JST),
        checked_out_at=dt.datetime.combine(day, out or end, tzinfo=JST),
        recorded_by=guardian_user,
    )
