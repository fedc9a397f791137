"""Database constraints: the last wall behind the services."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from tests import factories as f
from tsuen.accounts.models import Role, User
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.billing.models import Claim, ClaimLine
from tsuen.booking.models import BookingStatus

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(9 * 60)


@pytest.fixture
def kid_and_slot():
    muni = f.municipality()
    guardian, _, kid = f.family(muni)
    slot = f.place_slot(f.facility(muni), dt.date(2026, 12, 1))
    return guardian, kid, slot


def _refused():
    return pytest.raises(IntegrityError)


def test_booking_times_must_be_ordered(kid_and_slot):
    guardian, kid, slot = kid_and_slot
    with _refused(), transaction.atomic():
        f.booking(kid, slot, guardian, start=dt.time(12), end=dt.time(10), billable_minutes=60)


@pytest.mark.postgres_only
def test_a_child_cannot_hold_two_overlapping_live_bookings(kid_and_slot):
    guardian, kid, slot = kid_and_slot
    other_facility_slot = f.place_slot(f.facility(slot.facility.municipality), slot.date)
    f.booking(kid, slot, guardian, start=dt.time(10), end=dt.time(12))
    with _refused(), transaction.atomic():
        f.booking(kid, other_facility_slot, guardian, start=dt.time(11), end=dt.time(13))
    # touching end to start is not an overlap, and a cancelled booking frees the time
    f.booking(kid, other_facility_slot, guardian, start=dt.time(12), end=dt.time(13))
    f.booking(kid, slot, guardian, start=dt.time(9), end=dt.time(10), status="cancelled")
    f.booking(kid, slot, guardian, start=dt.time(9), end=dt.time(10))


@pytest.mark.postgres_only
def test_cancelling_then_rebooking_the_same_time_is_allowed(kid_and_slot):
    guardian, kid, slot = kid_and_slot
    first = f.booking(kid, slot, guardian)
    first.status = BookingStatus.CANCELLED
    first.save()
    f.booking(kid, slot, guardian)


def test_check_out_must_follow_check_in(kid_and_slot):
    guardian, kid, slot = kid_and_slot
    booking = f.booking(kid, slot, guardian)
    staff = f.user(Role.FACILITY_STAFF, facility=slot.facility)
    at = booking.starts_at
    with _refused(), transaction.atomic():
        Attendance.objects.create(
            booking=booking,
            status=AttendanceStatus.PRESENT,
            checked_in_at=at,
            checked_out_at=at - dt.timedelta(minutes=1),
            recorded_by=staff,
        )
    with _refused(), transaction.atomic():  # present without a check-in time
        Attendance.objects.create(
            booking=booking, status=AttendanceStatus.PRESENT, recorded_by=staff
        )


def test_place_slot_times_and_age_class(kid_and_slot):
    _, _, slot = kid_and_slot
    with _refused(), transaction.atomic():
        f.place_slot(slot.facility, slot.date, starts_at=dt.time(12), ends_at=dt.time(9))
    with _refused(), transaction.atomic():
        f.place_slot(slot.facility, slot.date + dt.timedelta(days=1), age_class=3)


def test_certificate_numbers_are_unique_within_a_municipality():
    muni = f.municipality()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
    _, _, a = f.family(muni)
    _, _, b = f.family(muni)
    f.certification(a, reviewer, number="SJ2026-00001")
    with _refused(), transaction.atomic():
        f.certification(b, reviewer, number="SJ2026-00001")
    other = f.municipality()
    _, _, c = f.family(other)
    f.certification(c, f.user(Role.MUNICIPAL_REVIEWER, municipality=other), number="SJ2026-00001")


def test_a_child_has_at_most_one_active_certification():
    muni = f.municipality()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
    _, _, kid = f.family(muni)
    f.certification(kid, reviewer)
    with _refused(), transaction.atomic():
        f.certification(kid, reviewer)
    f.certification(kid, reviewer, status="ended")


def test_a_claim_line_belongs_to_exactly_one_claim(kid_and_slot):
    guardian, kid, slot = kid_and_slot
    booking = f.booking(kid, slot, guardian)
    claim = Claim.objects.create(
        facility=slot.facility,
        paying_municipality=slot.facility.municipality,
        year=2026,
        month=12,
    )
    line = dict(booking=booking, child=kid, date=booking.date, billable_minutes=120, age_class=1)
    ClaimLine.objects.create(claim=claim, **line)
    with _refused(), transaction.atomic():
        ClaimLine.objects.create(claim=None, **line)
    with _refused(), transaction.atomic():  # and a visit appears once on a claim
        ClaimLine.objects.create(claim=claim, **line)


def test_staff_accounts_are_bound_to_their_organisation():
    with pytest.raises(ValidationError, match="市区町村または施設"):
        f.user(Role.MUNICIPAL_REVIEWER)  # validated before saving, in Japanese first
    with translation.override("en"), pytest.raises(ValidationError, match="municipality or"):
        f.user(Role.MUNICIPAL_REVIEWER)
    with _refused(), transaction.atomic():  # and the database refuses it too
        User.objects.create(email="x@example.jp", role=Role.FACILITY_STAFF)
