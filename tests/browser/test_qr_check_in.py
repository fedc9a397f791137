"""Issue 13 item 4, QR check-in in Chromium with two browser contexts: the facility's tablet
(staff logged in, 1024 px) shows the code of the minute; the code is read back from the
tablet's SVG by our own decoder (tests/qr_decode.py) and must be the URL the page says; the
guardian's phone (360 px, logged in) opens it, confirms, and the tablet's day screen shows the
check-in with its QR mark, which staff undo. The tablet swaps the code when the minute
changes (script), or reloads (meta refresh, without JavaScript); an old code is refused on
the phone. Screenshots: docs/walkthrough/img/qr-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
import segno
from django.utils import timezone

from tests.attendance.conftest import VISIT_DAY, Visit
from tests.browser_support import _page, check_accessibility, log_in
from tests.qr_decode import decode, modules_from_svg
from tests.walkthrough import shot
from tsuen.attendance.models import Attendance, TapSource
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}
TZ = timezone.get_fixed_timezone(9 * 60)


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(VISIT_DAY, dt.time(hour, minute, second), tzinfo=TZ)


def shown_code(tablet) -> tuple[str, str]:
    """(the URL the tablet's page names, the URL its QR image decodes to)."""
    svg = tablet.locator("#qr-frame").inner_html()
    matrix = modules_from_svg(svg)
    named = tablet.locator("#qr-tablet").get_attribute("data-url")
    # The picture is segno's encoding of that URL, module for module, and reads back as it.
    assert matrix == [[bool(m) for m in row] for row in segno.make(named, error="m").matrix]
    return named, decode(matrix)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def test_tablet_shows_the_code_the_phone_checks_in_the_staff_see_and_undo(
    browser, tablet, live_server, settings
):
    settings.SITE_URL = live_server.url
    visit = Visit()
    with clock.frozen(at(9, 58, 58), all_threads=True):
        log_in(tablet, visit.staff, live_server, language="ja")
        tablet.goto("/visits/staff/day/")
        tablet.locator("a[href='/visits/staff/qr/']").click()
        tablet.wait_for_load_state()
        assert tablet.locator("h1").inner_text() == visit.facility.name
        assert visit.child.given_name not in tablet.content()  # no personal data on it
        named, decoded = shown_code(tablet)
        assert decoded == named
        assert decoded.startswith(f"{live_server.url}/visits/qr/{visit.facility.pk}/")
        first_minute = tablet.locator("#qr-tablet").get_attribute("data-minute")
        check_accessibility(tablet)
        fits(tablet)
        shot(tablet, "qr", "01-tablet")

        # A second tab of the tablet shows the day screen while the family checks in.
        day = tablet.context.new_page()
        day.goto("/visits/staff/day/")
        card = day.locator(f"#visit-{visit.booking.pk}")
        assert card.locator("[data-testid=qr-mark]").count() == 0

        with _page(browser, live_server, NARROW) as phone:
            log_in(phone, visit.guardian, live_server, language="ja")
            phone.goto(decoded)
            assert phone.locator("h1").inner_text() == visit.facility.name
            assert not Attendance.objects.exists()  # scanning alone records nothing
            check_accessibility(phone)
            fits(phone)
            shot(phone, "qr", "02-phone-confirm")
            phone.locator("button.qr-confirm").click()
            phone.wait_for_load_state()
            assert "09:58" in phone.locator(".messages").inner_text()
            fits(phone)
            shot(phone, "qr", "03-phone-done")

        # The day screen follows: its poll (every 20 s, and at once on focus) sees the
        # change and reloads, now with the QR mark.
        day.evaluate("window.dispatchEvent(new Event('focus'))")
        card.locator("[data-testid=qr-mark]").wait_for()
        assert "09:58" in card.locator(".day-state").inner_text()
        day.close()

    attendance = Attendance.objects.get()
    assert attendance.check_in_source == TapSource.QR
    assert attendance.recorded_by == visit.guardian

    # The code changes with the minute: the tablet's script swaps it in place.
    with clock.frozen(at(9, 59, 20), all_threads=True):
        tablet.wait_for_function(
            f"document.getElementById('qr-tablet').dataset.minute !== '{first_minute}'"
        )
        named, decoded = shown_code(tablet)
        assert decoded == named and f"/{int(first_minute) + 1}." in decoded

        # The day screen shows the check-in, marked QR, and staff can undo it.
        tablet.goto("/visits/staff/day/")
        card = tablet.locator(f"#visit-{visit.booking.pk}")
        assert card.locator("[data-testid=qr-mark]").count() == 1
        assert "09:58" in card.locator(".day-state").inner_text()
        check_accessibility(tablet)
        shot(tablet, "qr", "04-day-screen")
        card.locator("button[value=undo]").click()
        tablet.wait_for_load_state()
    assert not Attendance.objects.exists()


def test_an_old_code_is_refused_on_the_phone(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    visit = Visit()
    from tsuen.attendance import services_qr

    old = live_server.url + services_qr.path_for(
        visit.facility.pk, services_qr.minute_of(at(9, 50))
    )
    with clock.frozen(at(9, 58), all_threads=True), _page(browser, live_server, NARROW) as phone:
        log_in(phone, visit.guardian, live_server, language="ja")
        response = phone.goto(old)
        assert response.status == 400
        assert phone.get_by_role("alert").count() == 1
        assert phone.locator("button.qr-confirm").count() == 0
        check_accessibility(phone)
        fits(phone)
        shot(phone, "qr", "05-phone-refused")
    assert not Attendance.objects.exists()


def test_without_javascript_the_tablet_reloads_with_the_new_code(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    visit = Visit()
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        locale="ja-JP",
        base_url=live_server.url,
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        with clock.frozen(at(9, 58, 59), all_threads=True):
            log_in(page, visit.staff, live_server)
            page.goto("/visits/staff/qr/")
            first = page.locator("#qr-tablet").get_attribute("data-minute")
            assert page.locator("noscript").count() == 1
        with clock.frozen(at(9, 59, 30), all_threads=True):
            page.wait_for_url("**/visits/staff/qr/")
            page.wait_for_function(
                f"document.getElementById('qr-tablet').dataset.minute !== '{first}'"
            )
            assert page.locator("#qr-tablet").get_attribute("data-minute") == str(int(first) + 1)
    finally:
        context.close()
