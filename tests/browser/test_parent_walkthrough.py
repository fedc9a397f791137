"""The parent's desk on a 360 px phone, screen by screen, for docs/walkthrough/parent.md.

A certified family whose child had the first interview at ひだまり保育園 (which offers regular
use) opens its home, the search (filters folded), the facility page (the child's age class
open, links to regular use and the waitlist), books a visit (check, then confirm), sees the
booking list (upcoming, and a past visit that says 利用済み), the cancellation terms, joins the
waitlist of a full time, and opens regular use, hours and visit notes. Every screen is checked
with axe-core and must not be wider than the phone; each is saved with tests/walkthrough.py.
"""

from __future__ import annotations

import datetime as dt

import jpholiday
import pytest

from tests import factories as f
from tests.booking.scene import class_of, family, set_policy
from tests.browser_support import _page, check_accessibility, log_in
from tests.walkthrough import shot
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.booking.models import Booking, BookingStatus, WaitlistEntry
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE_360 = {"width": 360, "height": 740}


def open_weekday(start: dt.date) -> dt.date:
    """The first Wednesday to Friday on or after ``start`` that is no national holiday."""
    day = start
    while day.weekday() not in (2, 3, 4) or jpholiday.is_holiday(day):
        day += dt.timedelta(days=1)
    return day


def screen(page, name: str) -> None:
    page.wait_for_load_state()
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_360["width"], f"{name}: {page.url} is {width}px wide"
    shot(page, "parent", name)


def test_the_parents_screens_on_a_360px_phone(browser, live_server):
    today = clock.today()
    visit_day = open_weekday(today + dt.timedelta(days=3))
    full_day = open_weekday(visit_day + dt.timedelta(days=1))
    ward = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    for day in {today, visit_day, full_day}:
        fy = rules.fiscal_year_of(day)
        if not ward.policies.filter(fiscal_year=fy).exists():
            set_policy(ward, fy=fy)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    facility = f.facility(
        ward,
        name="ひだまり保育園",
        address="東京都新宿区西新宿4-15-3",
        offers_regular=True,
        opens_at=dt.time(9),
        closes_at=dt.time(17),
    )
    staff = f.user(Role.FACILITY_STAFF, facility=facility)
    fam = family(ward, facility, visit_day, staff=reviewer, family_name="見本", given_name="さくら")
    age_class = class_of(fam.child.birth_date, visit_day)
    slot = f.place_slot(facility, visit_day, age_class=age_class, capacity=3)
    full = f.place_slot(facility, full_day, age_class=age_class, capacity=1)
    other = family(ward, facility, visit_day, staff=reviewer, given_name="たろう")
    f.booking(other.child, full, other.user)
    past = f.place_slot(facility, today - dt.timedelta(days=7), age_class=age_class)
    visited = f.booking(fam.child, past, fam.user)
    Attendance.objects.create(
        booking=visited,
        status=AttendanceStatus.PRESENT,
        checked_in_at=visited.starts_at,
        checked_out_at=visited.ends_at,
        recorded_by=staff,
    )

    with _page(browser, live_server, PHONE_360) as page:
        log_in(page, fam.user, live_server)
        page.goto("/guardian/")
        screen(page, "01-home")
        page.goto("/facilities/")
        screen(page, "02-search")
        page.get_by_role("link", name="ひだまり保育園").first.click()
        screen(page, "03-facility")
        assert page.locator("details.calendar-class[open] h3").count() == 1
        page.locator(f"a[href='/bookings/new/?slot={slot.pk}']").click()
        screen(page, "04-book")
        page.select_option("select[name=start]", "10:00")
        page.select_option("select[name=end]", "12:00")
        page.click("button[value=check]")
        screen(page, "05-check")
        page.click("button[value=confirm]")
        page.wait_for_url("**/bookings/")
        screen(page, "06-bookings")
        assert "利用済み" in page.content()
        booking = Booking.objects.get(place_slot=slot)
        assert booking.status == BookingStatus.CONFIRMED
        page.goto(f"/bookings/{booking.pk}/cancel/")
        screen(page, "07-cancel")
        page.goto(f"/bookings/new/?slot={full.pk}")
        screen(page, "08-full")
        page.locator(f"main a[href='/bookings/waitlist/join/{full.pk}/']").first.click()
        screen(page, "09-waitlist-join")
        page.click("main button[type=submit]")
        page.wait_for_url("**/bookings/waitlist/")
        screen(page, "10-waitlist")
        assert WaitlistEntry.objects.filter(child=fam.child, place_slot=full).exists()
        page.goto(f"/bookings/regular/new/?facility={facility.pk}")
        screen(page, "11-regular-use")
        page.goto("/bookings/hours/")
        screen(page, "12-hours")
        page.goto("/visits/")
        screen(page, "13-visit-notes")
        page.goto("/profile/")
        screen(page, "14-profile")
