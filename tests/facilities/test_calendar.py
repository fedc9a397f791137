"""One answer to "is the facility open on this date" (facilities.calendar) on the facility's
screens: slot generation, closures in time order, holidays opened explicitly, the public
calendar and the search's counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.facilities.conftest import TODAY, day
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.facilities import calendar
from tsuen.facilities import services_staff as staff
from tsuen.facilities.models import ClosureDay, HolidayOpening, PlaceSlot, PlaceTemplate
from tsuen.facilities.services import facility_page, free_places

pytestmark = pytest.mark.django_db
SEIJIN = dt.date(2027, 1, 11)  # 成人の日, a Monday; TODAY is Monday 2026-12-21


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def monday_template(fac):
    PlaceTemplate.objects.create(
        facility=fac, weekday=1, starts_at=dt.time(9), ends_at=dt.time(12), age_class=1, places=3
    )


def test_closed_days_name_their_reason(fac):
    ClosureDay.objects.create(facility=fac, date=day(2), reason="設備点検")
    closed = calendar.closed_days(fac.pk, TODAY, SEIJIN)
    assert closed[day(2)] == "設備点検"
    assert closed[dt.date(2027, 1, 1)] == "National holiday (元日)"
    assert closed[SEIJIN] == "National holiday (成人の日)"
    assert day(1) not in closed
    HolidayOpening.objects.create(facility=fac, date=SEIJIN)
    assert calendar.is_open(fac.pk, SEIJIN)
    assert SEIJIN not in calendar.closed_days(fac.pk, TODAY, SEIJIN)


def test_an_opened_holiday_gets_places_from_the_template(fac, manager):
    monday_template(fac)
    staff.generate_places(manager, dt.date(2027, 1, 4), dt.date(2027, 1, 18))
    assert SEIJIN not in set(PlaceSlot.objects.values_list("date", flat=True))
    staff.open_holiday(manager, SEIJIN, "地域行事")
    made = staff.generate_places(manager, dt.date(2027, 1, 4), dt.date(2027, 1, 18))
    assert [s.date for s in made] == [SEIJIN]


def test_places_are_not_made_for_past_days(fac, manager):
    monday_template(fac)
    with pytest.raises(staff.StaffRefused, match="days that have passed"):
        staff.generate_places(manager, TODAY - dt.timedelta(days=7), TODAY + dt.timedelta(days=7))
    assert not PlaceSlot.objects.exists()
    assert len(staff.generate_places(manager, TODAY, TODAY)) == 1  # today is still possible


def test_a_closure_in_the_past_is_refused_and_so_is_reopening_one(fac, manager):
    with pytest.raises(staff.StaffRefused, match="A day that has passed cannot be closed"):
        staff.add_closure(manager, TODAY - dt.timedelta(days=1))
    assert not ClosureDay.objects.exists()
    staff.add_closure(manager, TODAY, "臨時休園")  # today: a sudden closure is allowed
    past = ClosureDay.objects.create(facility=fac, date=TODAY - dt.timedelta(days=3))
    with pytest.raises(staff.StaffRefused, match="cannot be opened again"):
        staff.remove_closure(manager, past.pk)
    assert ClosureDay.objects.filter(pk=past.pk).exists()


def test_only_a_future_national_holiday_can_be_opened(fac, manager):
    with pytest.raises(staff.StaffRefused, match="not a national holiday"):
        staff.open_holiday(manager, day(1))
    with pytest.raises(staff.StaffRefused, match="has passed"):
        staff.open_holiday(manager, dt.date(2026, 11, 3))  # 文化の日, past
    ClosureDay.objects.create(facility=fac, date=SEIJIN)
    with pytest.raises(staff.StaffRefused, match="closure list"):
        staff.open_holiday(manager, SEIJIN)
    assert not HolidayOpening.objects.exists()


def test_an_opened_holiday_with_bookings_cannot_be_closed_again(fac, manager, family):
    guardian, _, child = family
    opening = staff.open_holiday(manager, SEIJIN)
    f.booking(child, f.place_slot(fac, SEIJIN), guardian)
    with pytest.raises(staff.StaffRefused, match="1 bookings are made"):
        staff.remove_holiday_opening(manager, opening.pk)
    assert HolidayOpening.objects.filter(pk=opening.pk).exists()


def test_the_closures_page_opens_and_closes_a_holiday(client, fac, manager):
    login_with_second_factor(client, manager)
    url = reverse("facilities:staff_closures")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "成人の日" in page  # the coming holidays are listed (closed)
    response = client.post(url, {"action": "open_holiday", "date": "2027-01-11", "reason": ""})
    assert response.status_code == 302
    opening = HolidayOpening.objects.get(facility=fac)
    refused = client.post(url, {"action": "open_holiday", "date": "2026-12-22", "reason": ""})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "not a national holiday" in body or "祝日ではありません" in body
    assert client.post(url, {"action": "unopen", "opening": opening.pk}).status_code == 302
    assert not HolidayOpening.objects.exists()
    past = ClosureDay.objects.create(facility=fac, date=TODAY - dt.timedelta(days=2))
    refused = client.post(url, {"action": "remove", "closure": past.pk})
    assert refused.status_code == 400 and ClosureDay.objects.filter(pk=past.pk).exists()
    refused = client.post(url, {"action": "add", "date": "2026-12-01", "reason": ""})
    assert refused.status_code == 400 and ClosureDay.objects.count() == 1


def test_the_public_calendar_and_the_search_offer_an_opened_holiday(fac):
    f.place_slot(fac, SEIJIN, capacity=2)
    f.place_slot(fac, day(1), capacity=1)
    assert free_places([fac.pk], TODAY) == {fac.pk: 1}
    HolidayOpening.objects.create(facility=fac, date=SEIJIN)
    assert free_places([fac.pk], TODAY) == {fac.pk: 3}
    [class_1] = [c for c in facility_page(f.user(), fac.pk).calendars if c.age_class == 1]
    seijin = next(d for d in class_1.days if d.date == SEIJIN)
    assert seijin.holiday == "成人の日" and not seijin.closed and len(seijin.slots) == 1
    new_year = next(d for d in class_1.days if d.date == dt.date(2027, 1, 1))
    assert new_year.closed == "National holiday (元日)" and new_year.slots == []


def test_the_places_overview_says_why_a_day_is_closed(fac, manager):
    ClosureDay.objects.create(facility=fac, date=day(2), reason="設備点検")
    days = {d.date: d for d in staff.places_overview(manager).days}
    assert days[day(2)].closed == "設備点検"
    assert days[dt.date(2027, 1, 1)].closed == "National holiday (元日)"
    assert days[day(1)].closed == ""


def test_the_places_of_a_past_day_cannot_be_changed(fac, manager):
    past = f.place_slot(fac, TODAY - dt.timedelta(days=1), capacity=3)
    with pytest.raises(staff.StaffRefused, match="day that has passed"):
        staff.set_capacity(manager, past.pk, 5)
    past.refresh_from_db()
    assert past.capacity == 3
    today = f.place_slot(fac, TODAY, capacity=3)
    assert staff.set_capacity(manager, today.pk, 5).capacity == 5


def test_no_interview_slot_on_a_closed_day(fac):
    from django.utils import timezone

    worker = f.user(Role.FACILITY_STAFF, facility=fac)
    starts = timezone.make_aware(dt.datetime.combine(SEIJIN, dt.time(14)))
    with pytest.raises(staff.StaffRefused, match="成人の日"):
        staff.add_interview_slot(worker, starts, starts + dt.timedelta(hours=1))
    HolidayOpening.objects.create(facility=fac, date=SEIJIN)
    assert staff.add_interview_slot(worker, starts, starts + dt.timedelta(hours=1)).pk
