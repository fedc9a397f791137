"""The ward's facility register on a desktop (1440x900): register a facility, invite its
manager, suspend and reinstate it; every page checked with axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.facilities.models import Facility, FacilitySuspension, StaffInvitation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _frozen_clock():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


def _submit(page):
    page.locator("main form[method='post'] button[type='submit']").click()
    page.wait_for_load_state()


def test_the_ward_registers_invites_suspends_and_reinstates_on_a_desktop(desktop, live_server):
    ward = f.municipality(name="新宿区")
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    log_in(desktop, admin, live_server)

    desktop.goto("/facilities/ward/")
    assert desktop.locator("nav.sections a[href='/facilities/ward/']").is_visible()
    check_accessibility(desktop)
    desktop.locator("a[href='/facilities/ward/new/']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    desktop.select_option("#id_facility_type", "spare_capacity")
    desktop.fill("#id_name", "ひだまり保育園")
    desktop.fill("#id_name_kana", "ヒダマリホイクエン")
    desktop.fill("#id_postal_code", "160-0022")
    desktop.fill("#id_address", "東京都新宿区新宿2-2-2")
    desktop.fill("#id_latitude", "35.690921")
    desktop.fill("#id_longitude", "139.700258")
    desktop.fill("#id_opens_at", "08:30")
    desktop.fill("#id_closes_at", "08:00")  # before the opening: refused
    for box in ("#id_accepts_class_0", "#id_accepts_class_1", "#id_offers_flexible"):
        desktop.locator(box).set_checked(box != "#id_accepts_class_0")
    _submit(desktop)
    assert desktop.locator("[role='alert']").is_visible()
    assert not Facility.objects.exists()
    check_accessibility(desktop)
    desktop.fill("#id_closes_at", "17:00")
    _submit(desktop)
    facility = Facility.objects.get()
    assert desktop.url.endswith(f"/facilities/ward/{facility.pk}/")
    assert facility.facility_type == "spare_capacity" and not facility.accepts_class_0
    check_accessibility(desktop)

    desktop.locator(f"a[href='/facilities/ward/{facility.pk}/invite/']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    desktop.fill("#id_email", "manager@example.jp")
    _submit(desktop)
    assert StaffInvitation.objects.get().role == Role.FACILITY_MANAGER
    assert desktop.locator("#invitations").is_visible()

    desktop.locator(f"a[href='/facilities/ward/{facility.pk}/suspension/']").click()
    desktop.wait_for_load_state()
    assert desktop.locator("#future-bookings").is_visible()
    check_accessibility(desktop)
    _submit(desktop)  # no reason: refused
    assert not FacilitySuspension.objects.exists()
    check_accessibility(desktop)
    desktop.fill("#id_reason", "配置基準を満たしていないため")
    _submit(desktop)
    assert desktop.locator("#suspended-state").is_visible()
    assert desktop.locator("#suspensions").is_visible()
    check_accessibility(desktop)

    desktop.locator(f"a[href='/facilities/ward/{facility.pk}/suspension/']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    _submit(desktop)
    assert desktop.locator("#suspended-state").count() == 0
    facility.refresh_from_db()
    assert not facility.suspended
    desktop.goto("/facilities/ward/?suspended=no")
    assert desktop.locator("#ward-facilities .manager-state").inner_text().strip()
    check_accessibility(desktop)
