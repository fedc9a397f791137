"""The facility page: details, photos, and a calendar of places left per age class."""

import contextlib
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories as f
from tests.facilities.conftest import day
from tests.files.samples import png
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.facilities.models import ClosureDay, InterviewStatus
from tsuen.facilities.services import facility_page
from tsuen.files.models import Purpose
from tsuen.files.services import Owner, store_upload

pytestmark = pytest.mark.django_db
PNG = png()


def get(client, facility, **extra):
    return client.get(reverse("facilities:detail", args=[facility.pk]), **extra)


def test_details_are_shown_to_anyone(client, ward):
    fac = f.facility(
        ward,
        name="ひだまり保育園",
        fee_per_hour=300,
        meal_fee=250,
        snack_fee=100,
        opens_at=dt.time(8, 30),
        closes_at=dt.time(17, 0),
        what_to_bring="着替え一式",
        access="高田馬場駅から徒歩5分",
        medical_care_support=True,
    )
    body = get(client, fac, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("ひだまり保育園", "300 yen", "250 yen", "100 yen", "08:30", "着替え一式"):
        assert text in body
    assert "高田馬場駅から徒歩5分" in body


def test_the_calendar_shows_places_left_and_full(client, ward, family):
    guardian, _, child = family
    fac = f.facility(ward)
    open_slot = f.place_slot(fac, day(1), age_class=1, capacity=3)
    full_slot = f.place_slot(fac, day(2), age_class=1, capacity=1)
    f.booking(child, full_slot, guardian)
    page = facility_page(guardian, fac.pk)
    [class_1] = [c for c in page.calendars if c.age_class == 1]
    left = {s.slot.pk: s.left for d in class_1.days for s in d.slots}
    assert left == {open_slot.pk: 3, full_slot.pk: 0}
    body = get(client, fac, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 left" in body
    assert "Full" in body


def test_a_full_slot_offers_the_waitlist_and_a_free_one_the_booking(client, ward, family):
    from django.urls import NoReverseMatch

    guardian, _, child = family
    fac = f.facility(ward)
    free_slot = f.place_slot(fac, day(1), capacity=2)
    full_slot = f.place_slot(fac, day(2), capacity=1)
    f.booking(child, full_slot, guardian)
    body = get(client, fac).content.decode()
    # While the booking context has not published a route, the button is left out.
    with contextlib.suppress(NoReverseMatch):
        assert reverse("booking:waitlist_join", args=[full_slot.pk]) in body
    with contextlib.suppress(NoReverseMatch):
        assert f"{reverse('booking:book')}?slot={free_slot.pk}" in body


def test_closure_days_and_national_holidays_are_marked_closed(client, ward):
    fac = f.facility(ward)
    f.place_slot(fac, dt.date(2027, 1, 1), capacity=5)
    f.place_slot(fac, day(3), capacity=5)
    ClosureDay.objects.create(facility=fac, date=day(3), reason="設備点検")
    page = facility_page(f.user(), fac.pk)
    [class_1] = [c for c in page.calendars if c.age_class == 1]
    by_date = {d.date: d for d in class_1.days}
    assert by_date[dt.date(2027, 1, 1)].holiday == "元日"
    assert by_date[dt.date(2027, 1, 1)].slots == []
    assert by_date[day(3)].closed == "設備点検"
    assert by_date[day(3)].slots == []
    body = get(client, fac).content.decode()
    assert "元日" in body and "設備点検" in body


def test_a_suspended_facility_is_not_shown(client, ward):
    fac = f.facility(ward, suspended=True)
    assert get(client, fac).status_code == 404


def test_photos_are_served_through_the_authorizing_view(client, ward):
    fac = f.facility(ward, name="写真の園")
    manager = f.user(Role.FACILITY_MANAGER, facility=fac)
    photo = store_upload(
        manager,
        SimpleUploadedFile("園庭.png", PNG),
        purpose=Purpose.FACILITY_PHOTO,
        owner=Owner(ward.pk, facility_id=fac.pk),
    )
    url = reverse("files:download", args=[photo.pk])
    assert url not in get(client, fac).content.decode()  # the download view asks for a login
    client.force_login(f.user())
    body = get(client, fac).content.decode()
    assert f'src="{url}"' in body
    assert client.get(url).status_code == 200


def test_a_guardian_sees_which_children_may_book_here(
    client, ward, family, django_capture_on_commit_callbacks
):
    guardian, household, child = family
    waiting = f.child(household, given_name="次郎")
    fac = f.facility(ward)
    f.interview(child, fac, guardian, status=InterviewStatus.ACCEPTED)
    f.interview(waiting, fac, guardian, status=InterviewStatus.REQUESTED)
    client.force_login(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        body = get(client, fac).content.decode()
    assert child.given_name in body
    assert "次郎" not in body
    assert AuditEvent.objects.filter(action="list", object_id=str(child.pk)).exists()
    client.logout()
    assert child.given_name not in get(client, fac).content.decode()


def test_the_page_query_count_does_not_grow_with_slots(
    client, ward, family, django_assert_max_num_queries
):
    guardian, household, _ = family
    fac = f.facility(ward)
    for n in range(28):
        for age_class in (0, 1, 2):
            slot = f.place_slot(fac, day(n), age_class=age_class)
            if n % 3 == 0:
                f.booking(f.child(household), slot, guardian)
        if n % 7 == 0:
            ClosureDay.objects.create(facility=fac, date=day(n))
    client.force_login(guardian)
    # 12, and the page's audit event: one INSERT in the request (no chain lock); and the live
    # emergency switches (tsuen.incident), one query per request.
    with django_assert_max_num_queries(14):
        assert get(client, fac).status_code == 200


def _opened_classes(body: str) -> list[str]:
    import re

    return re.findall(r'<details class="calendar-class" open>\s*<summary><h3 id="class-(\d)"', body)


def test_the_calendar_of_the_childs_own_age_class_is_open(client, ward, family):
    guardian, _, _child = family  # class 1 this fiscal year
    fac = f.facility(ward)
    for age_class in (0, 1, 2):
        f.place_slot(fac, day(1), age_class=age_class, capacity=2)
    client.force_login(guardian)
    body = get(client, fac).content.decode()
    assert _opened_classes(body) == ["1"]
    assert "（お子さまのクラス）" in body
    client.logout()  # a visitor without children sees the first class open
    assert _opened_classes(get(client, fac).content.decode()) == ["0"]


def test_the_family_reaches_regular_use_and_the_waitlist_from_the_page(client, ward, family):
    guardian, _, _child = family
    fac = f.facility(ward, offers_regular=True)
    client.force_login(guardian)
    body = get(client, fac).content.decode()
    assert f"{reverse('booking:regular_request')}?facility={fac.pk}" in body
    flexible_only = f.facility(ward, offers_regular=False)
    assert reverse("booking:regular_request") not in get(client, flexible_only).content.decode()
    assert f'href="{reverse("booking:waitlist")}"' in body
    navigation = body.split('class="sections"')[1].split("</nav>")[0]
    assert reverse("booking:regular_list") in navigation
    assert reverse("booking:waitlist") in navigation
