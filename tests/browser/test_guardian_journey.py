"""The guardian's whole journey on a phone, in Japanese, through the real pages:

sign up and verify the email, log in, apply for certification, (the ward certifies through the
service layer), find a facility, book the first interview, (the facility accepts), book a visit
after checking hours and cost, see the hours, cancel, and book again. axe-core checks every
page the guardian sees for WCAG 2.1 A/AA violations.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from tests import factories as f
from tests.browser_support import check_accessibility
from tests.certification.pages import fill_application
from tsuen import rules
from tsuen.accounts.models import Role, User
from tsuen.booking.models import Booking, BookingStatus
from tsuen.certification import services as certification
from tsuen.certification.models import Application
from tsuen.core import clock
from tsuen.facilities import services as facilities
from tsuen.facilities.models import Interview, InterviewSlot
from tsuen.municipalities.models import MunicipalPolicy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

EMAIL = "journey@example.jp"
PASSWORD = "a-long-and-private-passphrase"


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7 or 7)


@pytest.fixture
def ward():
    """新宿区 on the national defaults, one facility with interview slots and places."""
    today = clock.today()
    shinjuku = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    fy = rules.fiscal_year_of(today)
    MunicipalPolicy.from_rules(
        shinjuku, rules.national_default_policy(fy), rules.fiscal_year_bounds(fy)[0]
    ).save()
    facility = f.facility(shinjuku, name="ひだまり保育園", address="東京都新宿区西新宿4-15-3")
    staff = f.user(Role.FACILITY_MANAGER, facility=facility)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=shinjuku)
    tomorrow = today + dt.timedelta(days=1)
    InterviewSlot.objects.create(
        facility=facility,
        starts_at=dt.datetime.combine(tomorrow, dt.time(14), tzinfo=clock.now().tzinfo),
        ends_at=dt.datetime.combine(tomorrow, dt.time(15), tzinfo=clock.now().tzinfo),
    )
    visit_day = next_weekday(today + dt.timedelta(days=2), 2)  # a Wednesday, bookable
    slots = {
        age_class: f.place_slot(facility, visit_day, age_class=age_class, capacity=2)
        for age_class in (0, 1, 2)
    }
    return {"facility": facility, "staff": staff, "reviewer": reviewer, "slots": slots}


def sign_up(page) -> None:
    page.goto("/accounts/signup/")
    check_accessibility(page)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    check_accessibility(page)  # "we sent you an email"
    [message] = [m for m in mail.outbox if EMAIL in m.to]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)
    page.goto(link)
    check_accessibility(page)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/guardian/")
    check_accessibility(page)


def apply(page, tmp_path) -> Application:
    page.goto("/applications/new/")
    check_accessibility(page)
    page.fill("#id_postal_code", "1600022")
    page.click("main button[type=submit]")
    # The purpose notice comes before the form (issue 12 item 3): read, tick, agree.
    page.wait_for_url(lambda url: "/consent/households/" in url and "next=" in url)
    check_accessibility(page)
    page.check("input[name=agree]")
    page.click("main form.consent-form button[type=submit]")
    page.wait_for_url("**/edit/")
    check_accessibility(page)
    birth = (clock.today() - dt.timedelta(days=600)).isoformat()
    fill_application(page, tmp_path, family="見本", birth=birth)
    page.click("button[value=submit]")
    page.wait_for_url("**/applications/*/?sent=1")
    check_accessibility(page)
    return Application.objects.get(applicant__email=EMAIL)


def book(page, ward, start: str, end: str) -> None:
    page.goto(f"/facilities/{ward['facility'].pk}/")
    page.locator("a[href^='/bookings/new/?slot=']").first.click()
    page.wait_for_url("**/bookings/new/?slot=*")
    check_accessibility(page)
    page.select_option("select[name=start]", start)
    page.select_option("select[name=end]", end)
    page.click("button[value=check]")
    page.wait_for_load_state()
    check_accessibility(page)  # hours per cap period and the cost after the reduction
    assert "時間" in page.content()
    page.click("button[value=confirm]")
    page.wait_for_url("**/bookings/")
    check_accessibility(page)


def test_the_guardian_journey_on_a_phone(phone, ward, tmp_path):
    sign_up(phone)
    assert User.objects.get(email=EMAIL).role == Role.GUARDIAN

    application = apply(phone, tmp_path)
    assert application.status == "submitted"
    _certify(ward["reviewer"], application.pk)  # the ward, through its service
    phone.goto(f"/applications/{application.pk}/")
    check_accessibility(phone)
    assert "SJ" in phone.content()  # the certificate number is shown to the family

    phone.goto("/facilities/")
    check_accessibility(phone)
    phone.get_by_role("link", name="ひだまり保育園").first.click()
    phone.wait_for_url(f"**/facilities/{ward['facility'].pk}/")
    check_accessibility(phone)
    phone.locator(f"a[href='/facilities/{ward['facility'].pk}/interview/']").first.click()
    phone.wait_for_url("**/interview/")
    check_accessibility(phone)
    phone.locator("input[name=slot]").first.check()
    phone.click("main button[type=submit]")
    phone.wait_for_load_state()
    check_accessibility(phone)
    interview = Interview.objects.get()
    with clock.frozen(interview.slot.ends_at):  # recorded once the interview has taken place
        facilities.decide_interview(  # the facility, through its service
            ward["staff"],
            interview.pk,
            accept=True,
            held_minutes=40,
            follow_up_recorded=True,
            notes="面談実施",
        )
    phone.goto("/facilities/interviews/")
    check_accessibility(phone)

    book(phone, ward, "10:00", "12:00")
    [booking] = Booking.objects.all()
    assert (booking.billable_minutes, booking.status) == (120, BookingStatus.CONFIRMED)

    phone.goto("/bookings/hours/")
    check_accessibility(phone)
    assert "2" in phone.content()

    phone.goto(f"/bookings/{booking.pk}/cancel/")
    check_accessibility(phone)
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/bookings/")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED  # well before the deadline: free

    book(phone, ward, "13:00", "14:30")
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def _certify(staff, application_id, numbers=None):
    """Certify as the desk does: confirming the effects shown."""
    token = certification.decision_effects(staff, application_id, "certify").token
    return certification.certify(staff, application_id, numbers, confirm_token=token)


def _reject(staff, application_id, reason):
    """Reject as the desk does: confirming the effects shown."""
    token = certification.decision_effects(staff, application_id, "reject").token
    return certification.reject(staff, application_id, reason, confirm_token=token)
