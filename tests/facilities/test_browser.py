"""The facility pages on a phone: search, facility page with its calendar, interview request
and the interviews list, each checked with axe-core (WCAG 2.1 A/AA)."""

import datetime as dt

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.core import clock
from tsuen.facilities.models import ClosureDay, InterviewSlot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _frozen_clock():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


def _facility_with_places():
    ward = f.municipality(name="新宿区")
    guardian, _, child = f.family(ward)
    fac = f.facility(
        ward,
        name="ひだまり保育園",
        address="東京都新宿区高田馬場1-2-3",
        what_to_bring="着替え、おむつ",
        access="高田馬場駅から徒歩5分",
        offers_regular=True,
    )
    today = clock.today()
    for n in range(1, 8):
        f.place_slot(fac, today + dt.timedelta(days=n), age_class=1, capacity=2)
    full = f.place_slot(fac, today + dt.timedelta(days=2), age_class=2, capacity=1)
    f.booking(child, full, guardian)
    ClosureDay.objects.create(facility=fac, date=today + dt.timedelta(days=3), reason="園内行事")
    starts = clock.now() + dt.timedelta(days=5)
    InterviewSlot.objects.create(
        facility=fac, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), capacity=2
    )
    return guardian, child, fac


def test_a_visitor_searches_and_reads_a_facility_page_on_a_phone(phone):
    _facility_with_places()
    phone.goto("/facilities/")
    check_accessibility(phone)
    phone.click("details.fold > summary")  # the filters are folded behind one button
    phone.fill("input[name=area]", "高田馬場")
    phone.check("input[name=free_places]")
    phone.get_by_role("button", name="検索").or_(
        phone.locator("form.search-form button")
    ).first.click()
    phone.wait_for_load_state()
    check_accessibility(phone)
    phone.get_by_role("link", name="ひだまり保育園").click()
    phone.wait_for_load_state()
    assert "着替え、おむつ" in phone.content()
    assert "園内行事" in phone.content()
    check_accessibility(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_a_guardian_books_a_first_interview_on_a_phone(phone, live_server):
    guardian, _, fac = _facility_with_places()
    log_in(phone, guardian, live_server)
    phone.goto(f"/facilities/{fac.pk}/interview/")
    check_accessibility(phone)
    phone.locator("input[name=slot]").first.check()
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_load_state()
    assert phone.url.endswith("/facilities/interviews/")
    assert "ひだまり保育園" in phone.content()
    check_accessibility(phone)  # with the confirmation message shown


def test_the_place_is_chosen_prefecture_first_on_a_360px_phone(browser, live_server, tmp_path):
    """The municipality list follows the prefecture at once (the page's script asks for the
    prefecture's list); the search then finds the municipality's facility only."""
    from tests.browser_support import _page

    sapporo = f.municipality(code="01100", name="札幌市", prefecture="北海道")
    f.facility(sapporo, name="札幌の園")
    otaru = f.municipality(code="01203", name="小樽市", prefecture="北海道")
    f.facility(otaru, name="小樽の園")
    f.facility(f.municipality(code="13104", name="新宿区"), name="新宿の園")
    with _page(browser, live_server, {"width": 360, "height": 740}) as phone:
        phone.goto("/facilities/")
        phone.click("details.fold > summary")
        municipality = phone.locator("select[name=municipality]")
        assert municipality.is_disabled()  # no prefecture yet: nothing to choose from
        phone.select_option("select[name=prefecture]", label="北海道")
        phone.wait_for_function(
            "document.querySelector('select[name=municipality]').options.length === 3"
        )
        assert municipality.is_enabled()
        assert municipality.locator("option").all_inner_texts() == [
            "北海道のすべての市区町村",
            sapporo.name,
            otaru.name,
        ]
        municipality.select_option(label=sapporo.name)
        check_accessibility(phone)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the search form is {width}px wide"
        phone.screenshot(path=str(tmp_path / "search-filters-360.png"), full_page=True)
        phone.locator("form.search-form button[type=submit]").click()
        phone.wait_for_load_state()
        body = phone.content()
        assert "札幌の園" in body and "小樽の園" not in body and "新宿の園" not in body
        assert f"北海道{sapporo.name}の施設です。" in body
        check_accessibility(phone)
        phone.screenshot(path=str(tmp_path / "search-results-360.png"), full_page=True)
        print("screenshots:", tmp_path)
