"""Finding a facility: each filter with one match and one miss, free places recounted from
bookings, and a search page whose query count does not grow with the data."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tests.facilities.conftest import TODAY, day
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import BookingStatus
from tsuen.facilities.models import ClosureDay
from tsuen.facilities.services import SearchCriteria, free_places, search_facilities
from tsuen.municipalities.models import Municipality

pytestmark = pytest.mark.django_db


def names(criteria: SearchCriteria, user=None) -> set[str]:
    result = search_facilities(user or AnonymousUser(), criteria)
    return {facility.name for facility in result.page.object_list}


def test_an_empty_search_lists_every_published_facility_but_not_a_suspended_one(ward):
    f.facility(ward, name="ひだまり")
    f.facility(ward, name="休止中", suspended=True)
    assert names(SearchCriteria()) == {"ひだまり"}


def test_municipality(ward):
    other = f.municipality(name="世田谷区")
    f.facility(ward, name="新宿の園")
    f.facility(other, name="世田谷の園")
    assert names(SearchCriteria(municipality_id=ward.pk)) == {"新宿の園"}
    assert names(SearchCriteria(municipality_id=other.pk)) == {"世田谷の園"}


def test_area_matches_a_town_in_the_address(ward):
    f.facility(ward, name="A園", address="東京都新宿区高田馬場1-2-3")
    f.facility(ward, name="B園", address="東京都新宿区四谷4-5-6")
    assert names(SearchCriteria(area="高田馬場")) == {"A園"}
    assert names(SearchCriteria(area="大久保")) == set()
    # full-width input is normalised
    assert names(SearchCriteria(area="四谷４")) == {"B園"}


def test_age_class_accepted(ward):
    f.facility(ward, name="乳児も", accepts_class_0=True)
    f.facility(ward, name="1歳から", accepts_class_0=False)
    assert names(SearchCriteria(age_class=0)) == {"乳児も"}
    assert names(SearchCriteria(age_class=1)) == {"乳児も", "1歳から"}


def test_the_age_of_my_child_picks_its_age_class(ward, family, django_capture_on_commit_callbacks):
    guardian, household, _ = family
    baby = f.child(household, birth_date=dt.date(2025, 6, 1), given_name="赤子")  # class 0
    f.facility(ward, name="乳児も", accepts_class_0=True)
    f.facility(ward, name="1歳から", accepts_class_0=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert names(SearchCriteria(child_id=baby.pk), guardian) == {"乳児も"}
    assert AuditEvent.objects.filter(object_id=str(baby.pk), action="read").exists()


def test_someone_elses_child_cannot_be_used_to_search(ward, family):
    from django.http import Http404

    stranger, _, _ = f.family(ward)
    _, _, child = family
    with pytest.raises(Http404):
        search_facilities(stranger, SearchCriteria(child_id=child.pk))


def test_weekday(ward):
    monday, tuesday = f.facility(ward, name="月曜"), f.facility(ward, name="火曜")
    f.place_slot(monday, day(7))  # a Monday
    f.place_slot(tuesday, day(8))
    assert names(SearchCriteria(weekday=1)) == {"月曜"}
    assert names(SearchCriteria(weekday=3)) == set()


def test_time_of_day_and_a_given_time(ward):
    morning, afternoon = f.facility(ward, name="午前"), f.facility(ward, name="午後")
    f.place_slot(morning, day(1), starts_at=dt.time(9), ends_at=dt.time(12))
    f.place_slot(afternoon, day(1), starts_at=dt.time(13), ends_at=dt.time(17))
    assert names(SearchCriteria(time_of_day="morning")) == {"午前"}
    assert names(SearchCriteria(time_of_day="afternoon")) == {"午後"}
    assert names(SearchCriteria(at=dt.time(10, 30))) == {"午前"}
    assert names(SearchCriteria(at=dt.time(12, 30))) == set()


def test_slot_filters_outside_the_next_four_weeks_do_not_count(ward):
    later = f.facility(ward, name="来月")
    f.place_slot(later, day(28))  # the 29th day: outside the window
    f.place_slot(later, TODAY - dt.timedelta(days=1))
    assert names(SearchCriteria(weekday=day(28).isoweekday())) == set()


def test_a_weekday_counts_the_first_and_the_last_day_of_the_window(ward):
    # The weekday filter is the window's dates on that weekday: both ends are in it.
    first, last = f.facility(ward, name="初日"), f.facility(ward, name="末日")
    f.place_slot(first, TODAY)
    f.place_slot(last, day(27))  # the 28th day: the window's last
    assert names(SearchCriteria(weekday=TODAY.isoweekday())) == {"初日"}
    assert names(SearchCriteria(weekday=day(27).isoweekday())) == {"末日"}


def test_type_of_use(ward):
    f.facility(ward, name="定期", offers_regular=True, offers_flexible=False)
    f.facility(ward, name="柔軟", offers_regular=False, offers_flexible=True)
    assert names(SearchCriteria(use="regular")) == {"定期"}
    assert names(SearchCriteria(use="flexible")) == {"柔軟"}


def test_medical_care_support(ward):
    f.facility(ward, name="医ケア可", medical_care_support=True)
    f.facility(ward, name="医ケア不可")
    assert names(SearchCriteria(medical_care=True)) == {"医ケア可"}
    assert names(SearchCriteria(medical_care=False)) == {"医ケア可", "医ケア不可"}


def test_allergy_support(ward):
    f.facility(ward, name="除去食可", allergy_support=True)
    f.facility(ward, name="除去食不可")
    assert names(SearchCriteria(allergy=True)) == {"除去食可"}


def test_free_places_in_the_next_four_weeks(ward, family):
    guardian, _, child = family
    free, full, _none = (f.facility(ward, name=n) for n in ("空きあり", "満員", "枠なし"))
    f.place_slot(free, day(2), capacity=2)
    full_slot = f.place_slot(full, day(2), capacity=1)
    f.booking(child, full_slot, guardian)
    assert names(SearchCriteria(free_places=True)) == {"空きあり"}
    assert "満員" in names(SearchCriteria())
    assert "枠なし" in names(SearchCriteria())


def test_slot_criteria_hold_on_one_slot(ward, family):
    """ "A free place for class 1 on a Monday": a full Monday slot and a free Tuesday slot do not
    add up to a match."""
    guardian, _, child = family
    fac = f.facility(ward, name="混在")
    monday = f.place_slot(fac, day(7), age_class=1, capacity=1)
    f.booking(child, monday, guardian)
    f.place_slot(fac, day(8), age_class=1, capacity=1)
    f.place_slot(fac, day(14), age_class=2, capacity=1)  # a free Monday, wrong class
    assert names(SearchCriteria(weekday=1, age_class=1, free_places=True)) == set()
    assert names(SearchCriteria(weekday=2, age_class=1, free_places=True)) == {"混在"}


def test_free_places_are_capacity_minus_confirmed_bookings(ward, family):
    guardian, household, child = family
    sibling = f.child(household, given_name="次郎")
    fac = f.facility(ward)
    slot = f.place_slot(fac, day(3), capacity=3)
    f.place_slot(fac, day(4), capacity=2)
    assert free_places([fac.pk], TODAY) == {fac.pk: 5}
    f.booking(child, slot, guardian)
    assert free_places([fac.pk], TODAY) == {fac.pk: 4}
    cancelled = f.booking(sibling, slot, guardian, start=dt.time(13), end=dt.time(15))
    assert free_places([fac.pk], TODAY) == {fac.pk: 3}
    cancelled.status = BookingStatus.CANCELLED
    cancelled.save()
    assert free_places([fac.pk], TODAY) == {fac.pk: 4}
    for status in (BookingStatus.LATE_CANCELLED, BookingStatus.CANCELLED_BY_FACILITY):
        cancelled.status = status
        cancelled.save()
        assert free_places([fac.pk], TODAY) == {fac.pk: 4}


def test_an_overbooked_slot_never_counts_below_zero(ward, family):
    guardian, household, child = family
    fac = f.facility(ward)
    slot = f.place_slot(fac, day(3), capacity=1)
    f.place_slot(fac, day(4), capacity=2)
    f.booking(child, slot, guardian)
    f.booking(f.child(household, given_name="次郎"), slot, guardian)
    assert free_places([fac.pk], TODAY) == {fac.pk: 2}


def test_closed_days_and_national_holidays_offer_no_places(ward):
    fac = f.facility(ward)
    f.place_slot(fac, dt.date(2027, 1, 1), capacity=5)  # 元日
    f.place_slot(fac, day(2), capacity=4)
    ClosureDay.objects.create(facility=fac, date=day(2), reason="設備点検")
    f.place_slot(fac, day(3), capacity=1)
    assert free_places([fac.pk], TODAY) == {fac.pk: 1}


def test_the_search_page_shows_cards_with_open_places(client, ward):
    fac = f.facility(
        ward, name="ひだまり保育園", fee_per_hour=350, offers_regular=True, accepts_class_0=False
    )
    f.place_slot(fac, day(1), capacity=3)
    response = client.get(reverse("facilities:search"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "ひだまり保育園" in body
    assert "350 yen" in body
    assert "3 places in the next four weeks" in body
    assert reverse("facilities:detail", args=[fac.pk]) in body


def test_invalid_filters_are_explained_and_search_nothing(client, ward):
    f.facility(ward, name="ひだまり保育園")
    response = client.get(reverse("facilities:search"), {"at": "25:99", "weekday": "9"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "ひだまり保育園" not in body
    assert 'class="errorlist' in body


def test_results_are_paginated(client, ward):
    for n in range(25):
        f.facility(ward, name=f"園{n:02d}", name_kana=f"エン{n:02d}")
    first = client.get(reverse("facilities:search")).content.decode()
    second = client.get(reverse("facilities:search"), {"page": 2}).content.decode()
    assert "園00" in first and "園24" not in first
    assert "園24" in second and "園00" not in second


def _world(ward, family, n_facilities: int, slots_per_facility: int):
    guardian, household, _ = family
    for n in range(n_facilities):
        fac = f.facility(ward, name=f"園{n:02d}", name_kana=f"エン{n:02d}")
        for d in range(slots_per_facility):
            slot = f.place_slot(fac, day(d + 1), capacity=2)
            if d == 0:
                f.booking(f.child(household), slot, guardian)


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("facilities:search"), params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"free_places": "on", "weekday": "2", "age_class": "1", "time_of_day": "morning"}],
)
def test_the_search_query_count_does_not_grow_with_facilities_or_slots(
    client, ward, family, params, django_assert_max_num_queries
):
    _world(ward, family, 3, 2)
    small = _queries(client, params)
    _world(ward, family, 27, 10)
    large = _queries(client, params)
    assert large == small
    with django_assert_max_num_queries(6):
        client.get(reverse("facilities:search"), params)


def test_a_guardians_search_page_offers_their_children_and_audits_it(
    client, ward, family, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    guardian, _, child = family
    client.force_login(guardian)
    for _ in range(5):
        f.facility(ward)
    with django_capture_on_commit_callbacks(execute=True):
        body = client.get(reverse("facilities:search")).content.decode()
    assert child.given_name in body
    assert AuditEvent.objects.filter(action="list", object_id=str(child.pk)).exists()
    with django_assert_max_num_queries(10):
        client.get(reverse("facilities:search"), {"child": child.pk, "free_places": "on"})


# --- the place: the prefecture, then one of its municipalities -----------------------------------


def _country():
    """Two prefectures: 北海道 with two publishing municipalities and one without a facility,
    東京都 with one."""
    sapporo = f.municipality(code="01100", name="札幌市", prefecture="北海道")
    otaru = f.municipality(code="01203", name="小樽市", prefecture="北海道")
    f.municipality(code="01204", name="旭川市", prefecture="北海道")  # publishes nothing
    shinjuku = f.municipality(code="13104", name="新宿区", prefecture="東京都")
    for ward, name in ((sapporo, "札幌の園"), (otaru, "小樽の園"), (shinjuku, "新宿の園")):
        f.facility(ward, name=name)
    return sapporo, otaru, shinjuku


def _options(body: str, name: str) -> list[str]:
    import re

    select = re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_a_prefecture_searches_all_of_its_municipalities():
    _country()
    assert names(SearchCriteria(prefecture="北海道")) == {"札幌の園", "小樽の園"}
    assert names(SearchCriteria(prefecture="東京都")) == {"新宿の園"}


def test_the_form_lists_the_chosen_prefectures_publishing_municipalities_only(client):
    sapporo, otaru, _ = _country()
    body = client.get(reverse("facilities:search"), {"prefecture": "01"}).content.decode()
    # 旭川市 publishes no facility; 新宿区 is in another prefecture. In code order.
    assert _options(body, "municipality") == ["北海道のすべての市区町村", sapporo.name, otaru.name]
    assert "札幌の園" in body and "小樽の園" in body and "新宿の園" not in body
    assert "北海道の施設です。" in body


def test_without_a_prefecture_no_municipality_is_listed_and_the_country_is_searched(client):
    _country()
    body = client.get(reverse("facilities:search"), {"prefecture": "", "area": ""}).content.decode()
    assert _options(body, "municipality") == ["すべての市区町村"]
    assert "先に都道府県を選んでください。" in body
    assert all(name in body for name in ("札幌の園", "小樽の園", "新宿の園"))


def test_a_municipality_of_another_prefecture_gives_way_to_the_prefecture(client):
    """The parent chose 東京都 with 札幌市 still set (no script to refill the list)."""
    sapporo, _, _ = _country()
    params = {"prefecture": "13", "municipality": sapporo.pk}
    body = client.get(reverse("facilities:search"), params).content.decode()
    assert "新宿の園" in body and "札幌の園" not in body
    assert _options(body, "municipality")[0] == "東京都のすべての市区町村"
    assert 'class="errorlist' not in body


def test_a_link_naming_only_a_municipality_chooses_its_prefecture(client):
    _, otaru, _ = _country()
    body = client.get(reverse("facilities:search"), {"municipality": otaru.pk}).content.decode()
    assert "小樽の園" in body and "札幌の園" not in body
    assert '<option value="01" selected>北海道</option>' in body
    assert f'<option value="{otaru.pk}" selected>' in body


def test_a_guardians_first_visit_searches_their_own_municipality(client):
    sapporo, _, _ = _country()
    guardian, _, _ = f.family(sapporo)
    client.force_login(guardian)
    body = client.get(reverse("facilities:search")).content.decode()
    assert "札幌の園" in body and "小樽の園" not in body
    assert f'<option value="{sapporo.pk}" selected>' in body
    assert f"北海道{sapporo.name}の施設です。" in body
    # Its next pages (a page number only) stay in the guardian's municipality.
    body = client.get(reverse("facilities:search"), {"page": 1}).content.decode()
    assert "札幌の園" in body and "小樽の園" not in body


def test_a_guardian_whose_municipality_publishes_nothing_sees_their_prefecture(client):
    _country()
    asahikawa = Municipality.objects.get(code="01204")
    guardian, _, _ = f.family(asahikawa)
    client.force_login(guardian)
    body = client.get(reverse("facilities:search")).content.decode()
    assert "札幌の園" in body and "小樽の園" in body and "新宿の園" not in body
    assert "北海道の施設です。" in body


def test_the_page_reads_one_prefecture_whatever_the_size_of_the_country(
    client, django_assert_max_num_queries
):
    sapporo, _, _ = _country()
    params = {"prefecture": "01", "municipality": sapporo.pk, "age_class": "1"}
    small = _queries(client, params)
    for n in range(30):  # thirty more municipalities elsewhere, each publishing
        f.facility(f.municipality(code=f"{14100 + n}", prefecture="神奈川県"))
    assert _queries(client, params) == small
    body = client.get(reverse("facilities:search"), params).content.decode()
    assert len(_options(body, "municipality")) == 3


def test_a_prefecture_not_in_the_list_is_refused(client):
    _country()
    body = client.get(reverse("facilities:search"), {"prefecture": "99"}).content.decode()
    assert 'class="errorlist' in body and "札幌の園" not in body


def test_the_municipality_list_of_a_prefecture_for_the_script(client):
    sapporo, otaru, _ = _country()
    url = reverse("facilities:search_municipalities")
    data = client.get(url, {"prefecture": "01"}).json()
    assert data == {
        "all": "北海道のすべての市区町村",
        "municipalities": [[sapporo.pk, sapporo.name], [otaru.pk, otaru.name]],
    }
    assert client.get(url, {"prefecture": "x"}).json() == {
        "all": "すべての市区町村",
        "municipalities": [],
    }
