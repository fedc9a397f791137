"""Issue 10: the homes of the payments officer and of the facility lead to the next task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.billing import scene as s
from tests.billing.ward import payments_officer, submitted_claim
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.billing import services_review
from tsuen.booking.models import RegularUseRequest
from tsuen.core import clock
from tsuen.facilities.models import InterviewStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=s.JST)


@pytest.fixture(autouse=True)
def _now_in_english(client):
    client.cookies["django_language"] = "en"
    with clock.frozen(NOW), translation.override("en"):
        yield


def home(client, user, name) -> str:
    login_with_second_factor(client, user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


# --- the payments officer ---------------------------------------------------------------------


def test_the_payments_officer_sees_the_claims_waiting(client):
    claim, _manager, _child = submitted_claim()
    officer = payments_officer(claim.paying_municipality)
    page = home(client, officer, "portals:municipality")
    assert "1 claim to review" in page
    assert reverse("billing:ward_claim", args=[claim.pk]) in page
    assert "0 approved claims to pay" in page
    services_review.approve(officer, claim.pk)
    page = home(client, officer, "portals:municipality")
    assert "0 claims to review" in page and "1 approved claim to pay" in page
    assert reverse("billing:ward_claim", args=[claim.pk]) in page


def test_another_wards_claims_do_not_wait_here(client):
    submitted_claim()
    other_officer = payments_officer(f.municipality())
    assert "0 claims to review" in home(client, other_officer, "portals:municipality")


def test_the_reviewer_has_no_claims_on_the_home(client):
    claim, _manager, _child = submitted_claim()
    reviewer = payments_officer(claim.paying_municipality, role=Role.MUNICIPAL_REVIEWER)
    page = home(client, reviewer, "portals:municipality")
    assert "Claims waiting" not in page
    assert reverse("certification:staff_children") in page


# --- the facility -----------------------------------------------------------------------------


def test_the_facility_home_counts_todays_children_requests_and_the_claim(client):
    claim, manager, child = submitted_claim()
    facility = claim.facility
    # Today: two children booked, one of them cancelled (not counted).
    slot = f.place_slot(facility, NOW.date())
    f.booking(child, slot, manager)
    _, _, other = f.family(claim.paying_municipality)
    f.booking(other, slot, manager, start=dt.time(13), end=dt.time(14), status="cancelled")
    # An interview asked for, one accepted; a regular-use request waiting.
    f.interview(other, facility, manager, status=InterviewStatus.REQUESTED)
    f.interview(child, facility, manager, status=InterviewStatus.ACCEPTED)
    RegularUseRequest.objects.create(
        child=child,
        facility=facility,
        weekday=2,
        starts_at=dt.time(10),
        ends_at=dt.time(12),
        period_from=dt.date(2027, 1, 6),
        period_to=dt.date(2027, 3, 31),
        requested_by=manager,
    )
    page = home(client, manager, "portals:facility")

    def task(name):
        block = page[page.index(f'id="task-{name}"') :]
        return block[: block.index("</li>\n")]

    assert '<span class="figure">1</span>child booked today' in task("today")
    assert reverse("attendance:staff_day") in task("today")
    assert '<span class="figure">1</span>first interview request' in task("interviews")
    assert reverse("facilities:staff_interviews") in task("interviews")
    assert '<span class="figure">1</span>regular use request' in task("regular")
    assert "Claim for November 2026" in task("claims") and "Submitted" in task("claims")
    assert reverse("billing:claims") in task("claims")


def test_the_facility_staff_see_no_claims_and_no_other_facility(client):
    claim, manager, child = submitted_claim()
    staff = f.user(Role.FACILITY_STAFF, facility=claim.facility)
    f.second_factor(staff)
    other = f.facility(claim.paying_municipality)
    f.interview(child, other, manager, status=InterviewStatus.REQUESTED)
    page = home(client, staff, "portals:facility")
    assert 'id="task-claims"' not in page
    assert '<span class="figure">0</span>first interview requests' in page


def test_a_month_without_a_claim_says_so(client):
    facility = f.facility(s.ward())
    manager = s.manager_of(facility)
    page = home(client, manager, "portals:facility")
    assert "Not generated yet" in page


def test_the_facility_navigation_marks_its_home(client):
    facility = f.facility(s.ward())
    manager = s.manager_of(facility)
    page = home(client, manager, "portals:facility")
    assert f'<a href="{reverse("portals:facility")}" aria-current="page">' in page
