"""Irreversible actions ask first, on a 360 px wide screen: cancelling a day (facility),
submitting a claim (facility manager), allocating regular use (facility). Each first page shows
what will happen and changes nothing; the confirmation does it. Keyboard only (Enter and Tab),
no page wider than the screen, axe-core on every page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.billing import scene as billing_scene
from tests.booking.scene import NOW
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.booking.models import Booking, BookingKind, BookingStatus, RegularUseStatus
from tsuen.core import clock, tenancy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
NARROW = {"width": 360, "height": 740}


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page, clock.frozen(NOW, all_threads=True):
        yield page


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide"
    check_accessibility(page)


def _press(page, selector: str) -> None:
    """Activate a control from the keyboard."""
    page.focus(selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_cancel_a_day_asks_first(narrow, live_server):
    day = NOW.date() + dt.timedelta(days=7)
    with tenancy.cross_tenant("test set-up"):
        ward = f.municipality()
        facility = f.facility(ward)
        slot = f.place_slot(facility, day)
        bookings = []
        for name in ("一花", "二葉"):
            guardian, _household, child = f.family(ward, given_name=name)
            bookings.append(f.booking(child, slot, guardian))
        staff = f.user(Role.FACILITY_STAFF, facility=facility)
        f.second_factor(staff)
    log_in(narrow, staff, live_server)
    narrow.goto(f"{reverse('attendance:staff_day')}?date={day.isoformat()}")
    narrow.locator("details.cancel-day summary").click()
    narrow.fill("details.cancel-day input[name=reason]", "臨時休園")
    _press(narrow, "details.cancel-day button[type=submit]")
    assert narrow.locator("[data-testid=effect-bookings]").inner_text() == "2"
    assert narrow.locator("[data-testid=effect-families]").inner_text() == "2"
    _fits(narrow)
    assert not Booking.objects.filter(status=BookingStatus.CANCELLED_BY_FACILITY).exists()
    _press(narrow, "main button.danger")
    _fits(narrow)
    assert Booking.objects.filter(status=BookingStatus.CANCELLED_BY_FACILITY).count() == 2


def test_submit_a_claim_asks_first(narrow, live_server):
    ward = billing_scene.ward()
    facility = f.facility(ward, fee_per_hour=300)
    manager = billing_scene.manager_of(facility)
    _, _household, child = f.family(ward, given_name="請求")
    f.certification(child, manager, valid_from=dt.date(2026, 4, 1), valid_to=dt.date(2027, 3, 31))
    billing_scene.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(12))
    from tsuen.billing import services

    [claim] = services.generate_claims(manager, 2026, 11)
    log_in(narrow, manager, live_server)
    narrow.goto(reverse("billing:claim", args=[claim.pk]))
    _fits(narrow)
    _press(narrow, f"main form[action='{reverse('billing:submit', args=[claim.pk])}'] button")
    assert narrow.locator("[data-testid=effect-visits]").inner_text() == "1"
    assert narrow.locator("[data-testid=effect-total]").inner_text() == "2,800"
    _fits(narrow)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT
    _press(narrow, "main button.danger")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED
    _fits(narrow)


def test_allocate_regular_use_shows_the_proposal_and_reopens(narrow, live_server):
    from tests.booking.test_regular_staff import World

    world = World()
    log_in(narrow, world.staff, live_server)
    narrow.goto(reverse("booking:staff_regular"))
    _fits(narrow)
    detail = reverse("booking:staff_regular_request", args=[world.request.pk])
    _press(narrow, f"main a[href='{detail}']")
    # The proposal: three Mondays fit under the monthly cap, the fourth is left out.
    assert narrow.locator("table tbody tr").count() == 4
    assert narrow.locator("table .warning").count() == 1
    _fits(narrow)
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()
    _press(narrow, "main button.danger")
    assert Booking.objects.filter(kind=BookingKind.REGULAR).count() == 3
    world.request.refresh_from_db()
    assert world.request.status == RegularUseStatus.ALLOCATED
    assert narrow.url.endswith(detail)
    # A reload reopens the answer (GET), books nothing more.
    narrow.reload()
    narrow.wait_for_load_state()
    assert narrow.locator("table tbody tr").count() == 4
    _fits(narrow)
    assert Booking.objects.filter(kind=BookingKind.REGULAR).count() == 3


def test_joint_allocation_of_competing_requests(narrow, live_server):
    """Three families ask for the same Monday mornings, two places: the joint proposal shows
    who gets which days; one confirmation answers all three; the result page reopens."""
    from tests.booking.test_regular_joint import Competing

    world = Competing()
    log_in(narrow, world.staff, live_server)
    narrow.goto(reverse("booking:staff_regular"))
    _press(narrow, f"main a[href='{reverse('booking:staff_regular_joint')}']")
    requests = narrow.locator("[data-testid=joint-request]")
    assert requests.count() == 3
    assert requests.nth(0).locator(".warning").count() == 0
    assert requests.nth(2).locator(".warning").count() == 4  # the last asked gets no place
    assert "三咲" in requests.nth(2).locator("h3").inner_text()
    _fits(narrow)
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()
    _press(narrow, "main button.danger")
    assert Booking.objects.filter(kind=BookingKind.REGULAR).count() == 8
    assert narrow.locator("[data-testid=joint-answer]").count() == 3
    _fits(narrow)
    # A reload reopens the answers (GET), books nothing more.
    narrow.reload()
    narrow.wait_for_load_state()
    assert narrow.locator("[data-testid=joint-answer]").count() == 3
    _fits(narrow)
    assert Booking.objects.filter(kind=BookingKind.REGULAR).count() == 8
    assert world.status("三咲") == RegularUseStatus.REFUSED
