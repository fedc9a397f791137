"""Issue 5, items 3 and 4: fee-class verification and ending certifications (services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import Http404
from django.utils import translation

from tests import factories as f
from tests.booking.scene import set_policy
from tsuen.accounts.models import Role
from tsuen.booking import services as booking
from tsuen.booking.models import BookingStatus
from tsuen.certification import lifecycle
from tsuen.certification.models import (
    CertificationStatus,
    CertificationStatusChange,
    EndReason,
)
from tsuen.core import clock
from tsuen.families.models import FeeClass, HouseholdFeeClass

D = dt.date


@pytest.fixture(autouse=True)
def _english():
    """The refusals are read in English here (whatever language an earlier test left active)."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(ward, reviewer, applicant):
    hh = f.household(ward)
    f.guardian(hh, applicant)
    kid = f.child(hh, birth_date=D(2025, 4, 10))
    cert = f.certification(kid, reviewer, valid_from=D(2025, 10, 10), valid_to=D(2028, 3, 31))
    fac = f.facility(ward)
    set_policy(ward)
    return hh, kid, cert, fac


def test_fee_class_switch_applies_from_its_start(world, reviewer, applicant):
    hh, kid, _cert, fac = world
    lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.NONE, D(2026, 9, 1))
    rows = list(HouseholdFeeClass.objects.filter(household=hh).order_by("valid_from"))
    assert [(r.fee_class, r.valid_from, r.valid_to) for r in rows] == [
        (FeeClass.TAX_EXEMPT, D(2026, 4, 1), D(2026, 8, 31)),
        (FeeClass.NONE, D(2026, 9, 1), None),
    ]
    assert rows[1].verified_by == reviewer and rows[1].verified_at is not None
    with clock.frozen(dt.datetime(2026, 8, 25, 10)):
        before = f.place_slot(fac, D(2026, 8, 31))
        after = f.place_slot(fac, D(2026, 9, 1))
        p1 = booking.preview(applicant, kid.pk, before.pk, dt.time(10), dt.time(12))
        p2 = booking.preview(applicant, kid.pk, after.pk, dt.time(10), dt.time(12))
    assert p1.fee_class == FeeClass.TAX_EXEMPT
    assert p2.fee_class == FeeClass.NONE
    assert p1.fee != p2.fee


def test_same_start_confirms_in_place(world, reviewer):
    hh, kid, _cert, _fac = world
    lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.NONE, D(2026, 4, 1))
    lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.LOW_INCOME, D(2026, 4, 1))
    assert [r.fee_class for r in HouseholdFeeClass.objects.filter(household=hh)] == [
        FeeClass.LOW_INCOME
    ]


def test_overlap_refused_and_nothing_changes(world, reviewer):
    _hh, kid, _cert, _fac = world
    lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.NONE, D(2026, 9, 1))
    before = list(HouseholdFeeClass.objects.values_list("fee_class", "valid_from", "valid_to"))
    with pytest.raises(lifecycle.LifecycleInvalid, match="overlaps"):
        lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.LOW_INCOME, D(2026, 6, 1))
    with pytest.raises(lifecycle.LifecycleInvalid):
        lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.LOW_INCOME, D(2026, 5, 1), D(2026, 4, 1))
    assert list(HouseholdFeeClass.objects.values_list("fee_class", "valid_from", "valid_to")) == (
        before
    )


def test_other_ward_and_guardian_get_404(world, applicant):
    _hh, kid, _cert, _fac = world
    other = f.user(Role.MUNICIPAL_REVIEWER, municipality=f.municipality())
    for user in (other, applicant):
        with pytest.raises(Http404):
            lifecycle.set_fee_class(user, kid.pk, FeeClass.NONE, D(2026, 4, 1))
        with pytest.raises(Http404):
            lifecycle.end_certification(user, kid.pk, EndReason.MOVED_OUT, D(2026, 6, 30))
    assert not HouseholdFeeClass.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ending_cancels_only_bookings_after_the_end_and_tells_the_family(
    world, reviewer, applicant
):
    _hh, kid, cert, fac = world
    keep = f.booking(kid, f.place_slot(fac, D(2026, 6, 30)), applicant)
    gone = f.booking(kid, f.place_slot(fac, D(2026, 7, 1)), applicant)
    mail.outbox.clear()
    lifecycle.end_certification(reviewer, kid.pk, EndReason.MOVED_OUT, D(2026, 6, 30))
    keep.refresh_from_db()
    gone.refresh_from_db()
    cert.refresh_from_db()
    assert keep.status == BookingStatus.CONFIRMED
    assert gone.status == BookingStatus.CANCELLED_BY_FACILITY and not gone.counts_toward_caps
    assert (cert.valid_to, cert.ended_on, cert.end_reason) == (
        D(2026, 6, 30),
        D(2026, 6, 30),
        EndReason.MOVED_OUT,
    )
    assert cert.status == CertificationStatus.ACTIVE  # until the end day has passed
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert [m.to for m in mail.outbox] == [[applicant.email]]
    body = mail.outbox[0].body
    assert "令和8年7月1日" in body and "令和8年6月30日" in body
    assert "2026-0" not in body
    assert fac.name in body


def test_past_end_ends_now_with_history(world, reviewer):
    _hh, kid, cert, _fac = world
    lifecycle.end_certification(reviewer, kid.pk, EndReason.REQUESTED, D(2026, 5, 10))
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.ENDED
    change = CertificationStatusChange.objects.get(certification=cert)
    assert (change.to_status, change.by) == (CertificationStatus.ENDED, reviewer)


def test_bad_end_refused(world, reviewer):
    _hh, kid, cert, _fac = world
    with pytest.raises(lifecycle.LifecycleInvalid):
        lifecycle.end_certification(reviewer, kid.pk, EndReason.AGED_OUT, D(2026, 6, 30))
    with pytest.raises(lifecycle.LifecycleInvalid):
        lifecycle.end_certification(reviewer, kid.pk, EndReason.MOVED_OUT, D(2029, 1, 1))
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.ACTIVE and cert.ended_on is None


def test_command_ends_aged_out_and_is_idempotent(world, reviewer, applicant):
    _hh, kid, cert, fac = world
    cert.valid_to = D(2026, 5, 10)
    cert.save()
    late = f.booking(kid, f.place_slot(fac, D(2026, 5, 20)), applicant)
    call_command("end_aged_out_certifications")
    call_command("end_aged_out_certifications")
    cert.refresh_from_db()
    late.refresh_from_db()
    assert (cert.status, cert.end_reason, cert.ended_on) == (
        CertificationStatus.ENDED,
        EndReason.AGED_OUT,
        D(2026, 5, 10),
    )
    assert CertificationStatusChange.objects.filter(certification=cert).count() == 1
    assert late.status == BookingStatus.CANCELLED_BY_FACILITY
    assert late.counts_toward_caps is False


def test_an_end_before_submitted_claimed_visits_needs_confirmation(world, reviewer, applicant):
    """Issue 10: the service refuses, naming the claim, until the ending is confirmed."""
    from tsuen.billing.models import Claim, ClaimLine

    _hh, kid, cert, fac = world
    day = D(2026, 5, 12)
    booking = f.booking(kid, f.place_slot(fac, day), applicant)
    claim = Claim.objects.create(
        facility=fac, paying_municipality=cert.municipality, year=2026, month=5
    )
    ClaimLine.objects.create(
        claim=claim, booking=booking, child=kid, date=day, billable_minutes=120, age_class=1
    )
    Claim.objects.filter(pk=claim.pk).update(status="queried")  # submitted, then queried
    with translation.override("ja"), pytest.raises(lifecycle.ClaimsAffected) as asked:
        lifecycle.end_certification(reviewer, kid.pk, EndReason.MOVED_OUT, D(2026, 5, 11))
    assert f"{fac.name} (令和8年5月)" in str(asked.value)
    cert.refresh_from_db()
    assert cert.ended_on is None
    lifecycle.end_certification(
        reviewer, kid.pk, EndReason.MOVED_OUT, D(2026, 5, 11), confirmed=True
    )
    cert.refresh_from_db()
    assert cert.ended_on == D(2026, 5, 11)
