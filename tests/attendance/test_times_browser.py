"""Unusual real times on a 360 px wide screen: a check-in after the booked end asks for the
reason before recording (refused without one, with a clear message), and staff correct a
visit's times afterwards with a reason. The day card then shows the reason kept."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.attendance.conftest import VISIT_DAY, Visit
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.attendance import services_staff
from tsuen.attendance.models import Attendance
from tsuen.core import clock, tenancy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
NARROW = {"width": 360, "height": 740}
TZ = timezone.get_fixed_timezone(9 * 60)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(VISIT_DAY, dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page:
        yield page


@pytest.fixture
def wall_clock():
    """Sets the time for the test and the live server's thread."""
    with contextlib.ExitStack() as stack:

        def set_to(when: dt.datetime) -> None:
            stack.enter_context(clock.frozen(when, all_threads=True))

        yield set_to


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide"
    check_accessibility(page)


def _press(page, selector: str) -> None:
    page.focus(selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _visit() -> Visit:
    with tenancy.cross_tenant("test set-up"):
        return Visit()


def test_a_late_check_in_asks_for_the_reason(narrow, live_server, wall_clock):
    wall_clock(at(14, 41))  # the visit was booked 10:00-12:00
    visit = _visit()
    card = f"#visit-{visit.booking.pk}"
    log_in(narrow, visit.staff, live_server)
    narrow.goto(reverse("attendance:staff_day"))
    _press(narrow, f"{card} button[value=check_in]")
    # The reason page names what is unusual; nothing is recorded yet.
    assert "予約の終了時刻より後" in narrow.locator("main [role=alert]").inner_text()
    _fits(narrow)
    assert not Attendance.objects.exists()
    # Sent without a reason: refused, saying what is missing.
    _press(narrow, "main form button[type=submit]")
    assert "この時刻で記録するには理由を入力してください。" in narrow.locator("main").inner_text()
    _fits(narrow)
    assert not Attendance.objects.exists()
    narrow.fill("main input[name=reason]", "登園時刻の入力漏れ")
    _press(narrow, "main form button[type=submit]")
    with tenancy.cross_tenant("test check"):
        assert Attendance.objects.get().times_reason == "登園時刻の入力漏れ"
    # The day card shows the reason kept with the visit.
    assert (
        narrow.locator(f"{card} [data-testid=times-reason]")
        .inner_text()
        .endswith("登園時刻の入力漏れ")
    )
    _fits(narrow)


def test_staff_correct_the_times_with_a_reason(narrow, live_server, wall_clock):
    visit = _visit()
    with clock.frozen(at(10)):
        services_staff.check_in(visit.staff, visit.booking.pk)
    with clock.frozen(at(12)):
        services_staff.check_out(visit.staff, visit.booking.pk)
    wall_clock(at(15))
    card = f"#visit-{visit.booking.pk}"
    times = reverse("attendance:staff_times", args=[visit.booking.pk])
    log_in(narrow, visit.staff, live_server)
    narrow.goto(reverse("attendance:staff_day"))
    assert not narrow.locator(f"{card} [data-testid=times-reason]").count()
    _press(narrow, f"{card} a[href='{times}']")
    _fits(narrow)
    narrow.fill("#id_checked_out", "12:40")
    # Without a reason: refused with a clear message, the times unchanged.
    _press(narrow, "main form button[type=submit]")
    assert "訂正の理由を入力してください。" in narrow.locator("main").inner_text()
    _fits(narrow)
    with tenancy.cross_tenant("test check"):
        kept = Attendance.objects.get()
    assert kept.checked_out_at == at(12) and kept.billable_minutes == 120
    narrow.fill("#id_checked_out", "12:40")
    narrow.fill("#id_reason", "お迎えの記録漏れ")
    _press(narrow, "main form button[type=submit]")
    with tenancy.cross_tenant("test check"):
        corrected = Attendance.objects.get()
    assert corrected.checked_out_at == at(12, 40) and corrected.billable_minutes == 180
    assert corrected.times_reason == "お迎えの記録漏れ"
    # Back on the day: the card has the new times and the reason.
    assert "12:40" in narrow.locator(card).inner_text()
    assert (
        narrow.locator(f"{card} [data-testid=times-reason]")
        .inner_text()
        .endswith("お迎えの記録漏れ")
    )
    _fits(narrow)
