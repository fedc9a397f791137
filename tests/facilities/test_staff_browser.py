"""The facility's own screens at tablet size, each checked with axe-core (WCAG 2.1 A/AA)."""

import datetime as dt

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.core import clock
from tsuen.facilities.models import InterviewSlot, InterviewStatus, PlaceTemplate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _frozen_clock():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


def test_a_manager_keeps_places_and_interviews_on_a_tablet(tablet, live_server):
    ward = f.municipality(name="新宿区")
    guardian, _, child = f.family(ward)
    fac = f.facility(ward, name="ひだまり保育園")
    manager = f.user(Role.FACILITY_MANAGER, facility=fac)
    f.second_factor(manager)
    PlaceTemplate.objects.create(
        facility=fac, weekday=1, starts_at=dt.time(9), ends_at=dt.time(12), age_class=0, places=9
    )
    starts = clock.now() + dt.timedelta(days=5)
    slot = InterviewSlot.objects.create(
        facility=fac, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )
    interview = f.interview(child, fac, guardian, status=InterviewStatus.REQUESTED, slot=slot)
    log_in(tablet, manager, live_server)

    tablet.goto("/facilities/staff/places/")
    assert tablet.locator(".warning").first.is_visible()  # 9 places, 1 adult for class 0
    check_accessibility(tablet)
    first = clock.today() + dt.timedelta(days=1)
    tablet.fill("#id_first_day", first.isoformat())
    tablet.fill("#id_last_day", (first + dt.timedelta(days=13)).isoformat())
    tablet.get_by_role("button", name="テンプレートから枠を作成する").or_(
        tablet.get_by_role("button", name="Make places from the template")
    ).first.click()
    tablet.wait_for_load_state()
    check_accessibility(tablet)

    for url in (
        f"/facilities/staff/places/{first.isoformat()}/",
        "/facilities/staff/closures/",
        "/facilities/staff/profile/",
        "/facilities/staff/team/",
        "/facilities/staff/invitations/new/",
        "/facilities/staff/interviews/",
        f"/facilities/staff/interviews/{interview.pk}/",
    ):
        tablet.goto(url)
        assert tablet.locator("h1").is_visible()
        check_accessibility(tablet)
