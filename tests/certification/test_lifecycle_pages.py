"""Issue 5: the ward's fee-class and end-of-certification pages, through HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.booking.scene import set_policy
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import BookingStatus
from tsuen.certification.models import CertificationStatus, EndReason
from tsuen.families.models import FeeClass, HouseholdFeeClass

D = dt.date


@pytest.fixture
def desk(client, ward, reviewer, applicant):
    hh = f.household(ward)
    f.guardian(hh, applicant)
    kid = f.child(hh, birth_date=D(2025, 4, 10), given_name="一花")
    cert = f.certification(kid, reviewer, valid_from=D(2025, 10, 10), valid_to=D(2028, 3, 31))
    set_policy(ward)
    login_with_second_factor(client, reviewer)
    client.cookies["django_language"] = "en"
    return hh, kid, cert


def test_fee_class_page_saves_a_switch_and_refuses_an_overlap(
    client, desk, django_capture_on_commit_callbacks
):
    hh, kid, _cert = desk
    url = reverse("certification:staff_fee_class", args=[kid.pk])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(url)
    assert page.status_code == 200 and "一花" in page.content.decode()
    assert AuditEvent.objects.filter(action="read").exists()
    data = {"fee_class": FeeClass.TAX_EXEMPT, "valid_from": "2026-04-01"}
    assert client.post(url, data).status_code == 302
    data = {"fee_class": FeeClass.NONE, "valid_from": "2026-09-01"}
    assert client.post(url, data).status_code == 302
    refused = client.post(
        url, {"fee_class": FeeClass.LOW_INCOME, "valid_from": "2026-06-01", "valid_to": ""}
    )
    assert refused.status_code == 400
    assert "overlaps" in refused.content.decode()
    assert list(
        HouseholdFeeClass.objects.filter(household=hh)
        .order_by("valid_from")
        .values_list("fee_class", "valid_to")
    ) == [(FeeClass.TAX_EXEMPT, D(2026, 8, 31)), (FeeClass.NONE, None)]
    page = client.get(url).content.decode()
    assert "2026" in page and "Save the fee class" in page


def test_end_page_ends_and_cancels_later_bookings(client, desk, applicant, ward):
    _hh, kid, cert = desk
    fac = f.facility(ward)
    later = f.booking(kid, f.place_slot(fac, D(2026, 6, 2)), applicant)
    url = reverse("certification:staff_end", args=[kid.pk])
    page = client.get(url)
    assert page.status_code == 200 and cert.number in page.content.decode()
    bad = client.post(url, {"reason": EndReason.AGED_OUT, "ended_on": "2026-06-01"})
    assert bad.status_code == 400
    answer = client.post(url, {"reason": EndReason.MOVED_OUT, "ended_on": "2026-06-01"})
    assert answer.status_code == 302
    cert.refresh_from_db()
    later.refresh_from_db()
    assert cert.ended_on == D(2026, 6, 1) and cert.end_reason == EndReason.MOVED_OUT
    assert later.status == BookingStatus.CANCELLED_BY_FACILITY
    again = client.post(url, {"reason": EndReason.MOVED_OUT, "ended_on": "2026-05-20"})
    assert again.status_code == 302  # an active certification's end may be brought forward
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.ACTIVE and cert.valid_to == D(2026, 5, 20)


def test_other_ward_gets_404(client, desk):
    _hh, kid, _cert = desk
    other = f.user(Role.MUNICIPAL_REVIEWER, municipality=f.municipality())
    f.second_factor(other)
    client.logout()
    login_with_second_factor(client, other)
    for name in ("certification:staff_fee_class", "certification:staff_end"):
        assert client.get(reverse(name, args=[kid.pk])).status_code == 404


def _submitted_claim(ward, kid, applicant, day: dt.date, status="submitted"):
    from tsuen.billing.models import Claim, ClaimLine

    fac = f.facility(ward, name="ひだまり保育園")
    booking = f.booking(kid, f.place_slot(fac, day), applicant)
    claim = Claim.objects.create(
        facility=fac, paying_municipality=ward, year=day.year, month=day.month
    )
    ClaimLine.objects.create(
        claim=claim, booking=booking, child=kid, date=day, billable_minutes=120, age_class=1
    )
    Claim.objects.filter(pk=claim.pk).update(status=status)  # as submitted (and paid)
    return claim


def test_an_end_before_visits_of_a_submitted_claim_names_it_and_asks_first(
    client, desk, applicant, ward
):
    """Issue 10: ending a certification before visits that a submitted claim holds names the
    claim (facility, month) and asks for confirmation; nothing changes until confirmed."""
    _hh, kid, cert = desk
    _submitted_claim(ward, kid, applicant, D(2026, 5, 12))
    _submitted_claim(ward, kid, applicant, D(2026, 4, 20), status="draft")  # not yet sent
    url = reverse("certification:staff_end", args=[kid.pk])
    data = {"reason": EndReason.MOVED_OUT, "ended_on": "2026-05-01"}
    asked = client.post(url, data)
    assert asked.status_code == 400
    body = asked.content.decode()
    assert "ひだまり保育園 (May 2026)" in body and "April 2026" not in body
    assert 'name="confirm_claims"' in body
    cert.refresh_from_db()
    assert cert.ended_on is None and cert.valid_to == D(2028, 3, 31)
    # Posting again without ticking the box asks again; ticking it ends the certification.
    assert client.post(url, data | {"confirm_claims": ""}).status_code == 400
    assert client.post(url, data | {"confirm_claims": "on"}).status_code == 302
    cert.refresh_from_db()
    assert cert.ended_on == D(2026, 5, 1)


def test_an_end_after_the_claimed_visits_asks_nothing(client, desk, applicant, ward):
    _hh, kid, cert = desk
    _submitted_claim(ward, kid, applicant, D(2026, 5, 12), status="paid")
    url = reverse("certification:staff_end", args=[kid.pk])
    answer = client.post(url, {"reason": EndReason.MOVED_OUT, "ended_on": "2026-05-12"})
    assert answer.status_code == 302
    cert.refresh_from_db()
    assert cert.ended_on == D(2026, 5, 12)
