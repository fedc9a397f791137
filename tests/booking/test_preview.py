"""The preview: hours per cap period, the funding buckets and the fee, before anything is
written."""

import datetime as dt

import pytest
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, scene, set_policy
from tsuen import rules
from tsuen.booking import services
from tsuen.booking.models import Booking
from tsuen.core import clock
from tsuen.families.models import FeeClass, HouseholdFeeClass

pytestmark = pytest.mark.django_db

T = dt.time
SETAGAYA = rules.Policy(
    2026,
    caps=(rules.Cap(rules.Period.MONTH, 48 * 60),),
    buckets=(
        rules.FundingBucket("national", rules.Period.MONTH, 600, national=True),
        rules.FundingBucket("setagaya", rules.Period.MONTH, 38 * 60, national=False),
    ),
)
SHINJUKU = rules.Policy(
    2026,
    eligibility_end=rules.EligibilityEnd.FISCAL_YEAR_END_AGE_3,
    caps=(rules.Cap(rules.Period.FISCAL_YEAR, 160 * 60),),
    buckets=(
        rules.FundingBucket("national", rules.Period.MONTH, 600, national=True),
        rules.FundingBucket("tokyo", rules.Period.FISCAL_YEAR, None, national=False),
    ),
    free_for_residents=True,
)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW), translation.override("en"):
        yield


def used(s, day, start, end, **kw):
    slot = f.place_slot(f.facility(s.muni), day, age_class=s.slot.age_class)
    return f.booking(s.child, slot, s.user, start=start, end=end, **kw)


def test_setagaya_like_split_caps_and_fee_after_the_household_reduction():
    s = scene(policy=SETAGAYA)
    HouseholdFeeClass.objects.create(
        household=s.fam.household, fee_class=FeeClass.TAX_EXEMPT, valid_from=dt.date(2026, 9, 1)
    )
    used(s, dt.date(2026, 12, 2), T(8), T(17, 30))  # 570 minutes, earlier in the month
    used(s, dt.date(2026, 11, 20), T(9), T(12))  # last month: counts nowhere this month
    before = Booking.unscoped.count()
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(11, 30))
    assert Booking.unscoped.count() == before
    assert p.ok and p.minutes == 90
    [cap] = p.caps
    assert (cap.period, cap.period_start, cap.period_end) == (
        "month",
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
    )
    assert (cap.used, cap.adds, cap.used_after, cap.limit, cap.remaining_after) == (
        570,
        90,
        660,
        2880,
        2220,
    )
    assert [(b.payer, b.minutes) for b in p.buckets] == [("national", 30), ("setagaya", 60)]
    assert p.unfunded_minutes == 0
    assert p.fee_class == rules.FeeClass.TAX_EXEMPT
    assert (p.fee.gross, p.fee.reduction, p.fee.net) == (450, 360, 90)
    assert p.resident
    assert p.places_left == 3
    # the facility's deadline: the day before at 17:00, Japan time
    assert p.cancel_deadline.isoformat() == "2026-12-09T17:00:00+09:00"


def test_a_later_booking_in_the_month_does_not_take_this_visits_national_hours():
    s = scene(policy=SETAGAYA)
    used(s, dt.date(2026, 12, 20), T(8), T(17, 30))
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(11, 30))
    assert [(b.payer, b.minutes) for b in p.buckets] == [("national", 90)]
    assert p.caps[0].used == 570  # but it counts for the cap


def test_fee_class_is_the_one_valid_on_the_day():
    s = scene()
    HouseholdFeeClass.objects.create(
        household=s.fam.household,
        fee_class=FeeClass.PUBLIC_ASSISTANCE,
        valid_from=dt.date(2026, 4, 1),
        valid_to=dt.date(2026, 8, 31),
    )
    HouseholdFeeClass.objects.create(
        household=s.fam.household, fee_class=FeeClass.LOW_INCOME, valid_from=dt.date(2026, 9, 1)
    )
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert p.fee_class == rules.FeeClass.LOW_INCOME
    assert (p.fee.gross, p.fee.reduction, p.fee.net) == (600, 420, 180)


def test_no_fee_class_means_no_reduction_and_the_facilitys_own_fee():
    s = scene()
    s.facility.fee_per_hour = 400
    s.facility.save()
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(11, 30))
    assert (p.fee.gross, p.fee.reduction, p.fee.net) == (600, 0, 600)


def test_fiscal_year_cap_and_free_for_residents_but_not_for_visitors():
    s = scene(policy=SHINJUKU)
    used(s, dt.date(2026, 4, 15), T(9), T(17))  # 480 in April
    used(s, dt.date(2026, 12, 1), T(11), T(14))  # 180 this month
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    [cap] = p.caps
    assert (cap.period, cap.period_start, cap.period_end) == (
        "fiscal_year",
        dt.date(2026, 4, 1),
        dt.date(2027, 3, 31),
    )
    assert (cap.used, cap.used_after, cap.remaining_after) == (660, 780, 160 * 60 - 780)
    assert [(b.payer, b.minutes) for b in p.buckets] == [("national", 120)]
    assert p.resident and p.fee.net == 0 and p.fee.resident_waiver == 600

    # a child from a ward without the waiver pays
    s.facility.municipality = f.municipality(name="丙区")
    s.facility.save()
    set_policy(s.facility.municipality)
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert not p.resident and p.fee.net == 600


def test_preview_lists_what_would_refuse_the_booking():
    s = scene()
    used(s, dt.date(2026, 12, 2), T(8), T(17, 30))  # 570 of 600 minutes
    p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(11))
    assert not p.ok
    assert [x.code for x in p.problems] == ["cap_exceeded"]
    assert p.caps[0].remaining_after == 0 and p.caps[0].used_after == 630


def test_late_cancellations_count_when_the_policy_says_so():
    import dataclasses

    s = scene()
    used(s, dt.date(2026, 12, 2), T(9), T(12), status="late_cancelled")
    assert services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(11)).caps[0].used == 180
    set_policy(s.muni, dataclasses.replace(rules.national_default_policy(2026)))
    Booking.unscoped.filter(status="late_cancelled").update(counts_toward_caps=False)
    assert services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(11)).caps[0].used == 0


def test_hours_are_shown_as_people_read_them():
    assert [services.hours(m) for m in (60, 90, 600, 570, 20)] == ["1", "1.5", "10", "9.5", "0.33"]
