"""Irreversible actions ask first, on a 360 px wide screen: cancelling a day (facility),
submitting a claim (facility manager), allocating regular use (facility), removing a template
row (facility manager), certifying and rejecting (ward reviewer), approving a claim with flagged
visits (ward payments officer). Each first page shows what will happen and changes nothing; the
confirmation does it; its way back changes nothing either. Keyboard only (Enter and Tab), no
page wider than the screen, axe-core on every page."""

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


def _submitted_application(ward_name: str = "新宿区"):
    """(ward reviewer, application): an application submitted to a ward that numbers its
    certificates itself."""
    from tests.certification.conftest import answers, evidence
    from tsuen.certification import services

    ward = f.municipality(code="13104", name=ward_name, certificate_prefix="SJ")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(reviewer)
    applicant = f.user(Role.GUARDIAN)
    draft = f.started_application(applicant, ward.pk)
    return reviewer, services.submit(applicant, draft.pk, answers(), evidence())


def test_certify_asks_first(narrow, live_server):
    from tsuen.certification.models import ApplicationStatus, Certification

    reviewer, application = _submitted_application()
    log_in(narrow, reviewer, live_server)
    certify = reverse("certification:staff_certify", args=[application.pk])
    narrow.goto(reverse("certification:staff_application", args=[application.pk]))
    _fits(narrow)
    _press(narrow, f"main form[action='{certify}'] button")
    # The effects: each child certified, and from when until when.
    children = narrow.locator("[data-testid=effect-children] li")
    assert children.count() == 1
    assert "山田" in children.inner_text() and "令和8年12月1日" in children.inner_text()
    _fits(narrow)
    assert not Certification.objects.exists()
    _press(narrow, f"main form[action='{certify}'] button.danger")
    certification = Certification.objects.get(application=application)
    assert certification.number in narrow.content()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CERTIFIED
    _fits(narrow)


def test_reject_asks_first(narrow, live_server):
    from tsuen.certification.models import ApplicationStatus, Certification

    reviewer, application = _submitted_application()
    log_in(narrow, reviewer, live_server)
    reject = reverse("certification:staff_reject", args=[application.pk])
    narrow.goto(reverse("certification:staff_application", args=[application.pk]))
    narrow.fill(f"main form[action='{reject}'] textarea[name=reason]", "区外にお住まいのため")
    _press(narrow, f"main form[action='{reject}'] button")
    # The effects: the reason the family will read and the child the decision is about.
    assert narrow.locator("main blockquote").inner_text() == "区外にお住まいのため"
    assert "山田" in narrow.locator("[data-testid=effect-children]").inner_text()
    _fits(narrow)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    _press(narrow, f"main form[action='{reject}'] button.danger")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert not Certification.objects.exists()
    _fits(narrow)


def test_going_back_from_a_confirmation_changes_nothing(narrow, live_server):
    from tsuen.certification.models import ApplicationStatus

    reviewer, application = _submitted_application()
    log_in(narrow, reviewer, live_server)
    page = reverse("certification:staff_application", args=[application.pk])
    reject = reverse("certification:staff_reject", args=[application.pk])
    narrow.goto(page)
    narrow.fill(f"main form[action='{reject}'] textarea[name=reason]", "区外にお住まいのため")
    _press(narrow, f"main form[action='{reject}'] button")
    assert narrow.locator("main button.danger").count() == 1
    # The way back at the foot of the confirmation: to the application, still undecided.
    _press(narrow, f"main form.confirm-form a[href='{page}']")
    assert narrow.url.endswith(page)
    _fits(narrow)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.message_to_applicant != "区外にお住まいのため"
    assert narrow.locator(f"main form[action='{reject}'] button.danger").count() == 1


def test_approving_a_flagged_claim_asks_first(narrow, live_server):
    from tests.billing.ward import payments_officer, submitted_claim
    from tsuen.facilities.models import ClosureDay

    claim, _manager, child = submitted_claim()
    officer = payments_officer(claim.paying_municipality)
    # The facility was closed on the first visit's day: that visit is flagged.
    ClosureDay.objects.create(facility=claim.facility, date=dt.date(2026, 11, 5))
    log_in(narrow, officer, live_server)
    approve = reverse("billing:ward_approve", args=[claim.pk])
    narrow.goto(reverse("billing:ward_claim", args=[claim.pk]))
    _fits(narrow)
    _press(narrow, f"main form[action='{approve}'] button")
    assert narrow.locator("[data-testid=effect-flagged]").inner_text() == "1 / 2"
    flagged = narrow.locator("section.warning-box ul li")
    assert flagged.count() == 1 and child.given_name in flagged.inner_text()
    assert "令和8年11月5日" in flagged.inner_text()
    _fits(narrow)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    _press(narrow, f"main form[action='{approve}'] button.danger")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    _fits(narrow)


def test_removing_a_template_row_asks_first(narrow, live_server):
    from tsuen.facilities.models import PlaceSlot, PlaceTemplate

    with tenancy.cross_tenant("test set-up"):
        facility = f.facility(f.municipality())
        manager = f.user(Role.FACILITY_MANAGER, facility=facility)
        f.second_factor(manager)
        row = PlaceTemplate.objects.create(
            facility=facility,
            weekday=2,
            starts_at=dt.time(9),
            ends_at=dt.time(12),
            age_class=1,
            places=3,
        )
        # A Tuesday already generated from the row: it keeps its slot.
        f.place_slot(facility, dt.date(2026, 12, 8), age_class=1, starts_at=dt.time(9))
    log_in(narrow, manager, live_server)
    places = reverse("facilities:staff_places")
    narrow.goto(places)
    _fits(narrow)
    _press(narrow, f"main form:has(input[name=template][value='{row.pk}']) button[value=delete]")
    assert "1" in narrow.locator("[data-testid=effect-future]").inner_text()
    _fits(narrow)
    assert PlaceTemplate.objects.filter(pk=row.pk).exists()
    # Keep it: back to the places, the row still there.
    _press(narrow, f"main form.confirm-form a[href='{places}']")
    assert PlaceTemplate.objects.filter(pk=row.pk).exists()
    _press(narrow, f"main form:has(input[name=template][value='{row.pk}']) button[value=delete]")
    _press(narrow, "main form.confirm-form button.danger")
    assert not PlaceTemplate.objects.filter(pk=row.pk).exists()
    assert PlaceSlot.objects.filter(date=dt.date(2026, 12, 8)).exists()
    assert narrow.url.endswith(places)
    _fits(narrow)
