"""The family's booking pages on a phone: choose, check, confirm; the list; cancel. A
double-submitted form books once; page query counts do not grow with history."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, scene, sibling
from tsuen.booking.models import Booking, BookingStatus
from tsuen.core import clock

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def s(client):
    s = scene()
    client.force_login(s.user)
    return s


def book_url(s):
    return reverse("booking:book") + f"?slot={s.slot.pk}"


def form(s, step, children=None, start="10:00", end="11:30"):
    return {
        "slot": s.slot.pk,
        "children": children or [s.child.pk],
        "start": start,
        "end": end,
        "step": step,
    }


def en(client):
    client.cookies["django_language"] = "en"


def test_the_booking_page_offers_times_on_the_grid_within_the_slot(client, s):
    en(client)
    page = client.get(book_url(s), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert s.facility.name in page
    assert "Booking for 試験 太郎" in page
    starts = re.findall(r'value="(\d\d:\d\d)"', page.split('name="start"')[1].split("</select>")[0])
    ends = re.findall(r'value="(\d\d:\d\d)"', page.split('name="end"')[1].split("</select>")[0])
    assert starts[0] == "09:00" and starts[-1] == "16:00"  # a visit lasts at least an hour
    assert ends[0] == "10:00" and ends[-1] == "17:00"
    assert starts[1] == "09:30"  # and then goes in 30-minute steps
    assert 'name="step" value="check"' in page


def test_check_shows_hours_per_cap_period_and_the_cost_then_confirm_books(client, s):
    en(client)
    page = client.post(book_url(s), form(s, "check"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Hours this month" in text
    assert "0 h used + 1.5 h = 1.5 h of 10 h (8.5 h left)" in text
    assert "450 yen" in text
    assert "Confirm booking" in text
    assert not Booking.unscoped.exists()  # checking writes nothing

    response = client.post(book_url(s), form(s, "confirm"))
    assert response.status_code == 302 and response.url == reverse("booking:list")
    booking = Booking.unscoped.get()
    assert (booking.child, booking.place_slot, booking.billable_minutes) == (s.child, s.slot, 90)


def test_a_refused_booking_shows_the_rule_and_writes_nothing(client, s):
    en(client)
    s.fill()
    response = client.post(book_url(s), form(s, "confirm"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "There is no place left at this time." in response.content.decode()
    assert not Booking.unscoped.filter(child=s.child).exists()
    check = client.post(book_url(s), form(s, "check"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "There is no place left at this time." in check
    assert "Confirm booking" not in check


def test_a_refusal_is_a_short_answer_with_the_way_back_to_the_same_choices(client, s):
    s.fill()
    refused = client.post(book_url(s), form(s, "confirm", start="10:30", end="12:00"))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "予約できませんでした" in page and "試験 太郎" in page and "10:30" in page
    assert 'name="start"' in page and "<select" not in page  # the choices ride along, hidden
    assert 'name="step" value="edit"' in page
    assert reverse("facilities:detail", args=[s.facility.pk]) in page
    # "Change the booking" opens the form with the same child and times chosen.
    again = client.post(book_url(s), form(s, "edit", start="10:30", end="12:00"))
    assert again.status_code == 200
    chosen = again.content.decode()
    assert re.search(r'<option value="10:30" selected>', chosen)
    assert re.search(r'<option value="12:00" selected>', chosen)


def test_bad_input_gets_a_message_in_the_users_language(client, s):
    with translation.override("ja"):
        response = client.post(book_url(s), form(s, "check", start="11:00", end="10:00"))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Booking.unscoped.exists()
    assert client.post(book_url(s), form(s, "check", start="07:00")).status_code == 400


def test_a_double_submitted_form_books_once(client, s):
    first = client.post(book_url(s), form(s, "confirm"))
    second = client.post(book_url(s), form(s, "confirm"))
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("booking:list")
    assert Booking.unscoped.filter(child=s.child).count() == 1


def test_siblings_are_booked_from_one_form(client, s):
    older = sibling(s.fam, s.facility, s.day, staff=s.staff, given_name="一郎",
                    birth_date=s.child.birth_date - dt.timedelta(days=365))  # fmt: skip
    f.place_slot(s.facility, s.day, age_class=s.slot.age_class + 1)
    page = client.get(book_url(s)).content.decode()
    assert 'type="checkbox"' in page and "一郎" in page
    response = client.post(book_url(s), form(s, "confirm", children=[s.child.pk, older.pk]))
    assert response.status_code == 302
    assert Booking.unscoped.filter(child__in=[s.child, older]).count() == 2


def test_the_list_shows_upcoming_and_past_with_the_cancellation_terms(client, s):
    en(client)
    client.post(book_url(s), form(s, "confirm"))
    f.booking(s.child, f.place_slot(s.facility, dt.date(2026, 11, 20), age_class=s.slot.age_class),
              s.user)  # fmt: skip
    text = client.get(reverse("booking:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Free cancellation until" in text and "17:00" in text
    booking = Booking.unscoped.get(date=s.day)
    assert reverse("booking:cancel", args=[booking.pk]) in text
    assert "Past" in text


def test_cancel_page_says_free_or_late_and_cancels_on_post(client, s):
    en(client)
    client.post(book_url(s), form(s, "confirm"))
    booking = Booking.unscoped.get()
    url = reverse("booking:cancel", args=[booking.pk])
    assert "Cancelling now is free" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with clock.frozen(dt.datetime(2026, 12, 9, 18, 0)):
        assert "late cancellation" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        response = client.post(url)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.LATE_CANCELLED
    again = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200
    assert "no longer" in again.content.decode()


def test_no_slot_is_404(client, s):
    assert client.get(reverse("booking:book")).status_code == 404
    assert client.get(reverse("booking:book") + "?slot=abc").status_code == 404


def _history(s, n):
    for i in range(n):
        day = dt.date(2026, 11, 30) - dt.timedelta(days=i)
        slot = f.place_slot(s.facility, day, age_class=s.slot.age_class, capacity=1)
        f.booking(s.child, slot, s.user)


@pytest.mark.parametrize(
    "page",
    ["book", "check", "list"],
)
def test_page_query_counts_do_not_grow_with_history(client, s, page, django_assert_num_queries):
    client.post(book_url(s), form(s, "confirm", start="13:00", end="14:00"))

    def load():
        if page == "book":
            return client.get(book_url(s))
        if page == "check":
            return client.post(book_url(s), form(s, "check"))
        return client.get(reverse("booking:list"))

    _history(s, 5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert load().status_code == 200
    _history_more = 45
    for i in range(_history_more):
        day = dt.date(2026, 10, 1) + dt.timedelta(days=i)
        slot = f.place_slot(s.facility, day, age_class=s.slot.age_class, capacity=1)
        f.booking(s.child, slot, s.user)
    with django_assert_num_queries(len(few.captured_queries)):
        assert load().status_code == 200


def test_a_past_booking_says_what_became_of_it_never_confirmed(client, s):
    from tsuen.attendance.models import Attendance, AttendanceStatus
    from tsuen.core import tenancy

    outcomes = {}
    for day, outcome in ((20, "present"), (21, "no_show"), (22, None), (23, "cancelled")):
        slot = f.place_slot(s.facility, dt.date(2026, 11, day), age_class=s.slot.age_class)
        b = f.booking(s.child, slot, s.user)
        if outcome == "cancelled":
            b.status = BookingStatus.CANCELLED
            b.save()
        elif outcome:
            with tenancy.cross_tenant("test: the facility records attendance"):
                Attendance.objects.create(
                    booking=b,
                    status=outcome,
                    checked_in_at=b.starts_at if outcome == AttendanceStatus.PRESENT else None,
                    recorded_by=f.user("facility_staff", facility=s.facility),
                )
        outcomes[day] = b
    page = client.get(reverse("booking:list")).content.decode()
    past = page.split("過去の予約")[1]
    shown = re.findall(r'class="outcome">([^<]+)<', past)
    # newest first: cancelled (23), not recorded (22), no-show (21), attended (20)
    assert shown == ["キャンセル済み", "出欠の記録待ち", "欠席", "利用済み"]
    assert "確定" not in past


def test_a_full_slot_leads_to_its_waitlist_from_every_booking_step(client, s):
    s.fill()
    join = reverse("booking:waitlist_join", args=[s.slot.pk])
    assert join in client.get(book_url(s)).content.decode()  # the form says full
    checked = client.post(book_url(s), form(s, "check")).content.decode()
    assert "キャンセル待ち" in checked and join in checked.split('role="alert"')[1]
    refused = client.post(book_url(s), form(s, "confirm"))
    assert refused.status_code == 400
    assert join in refused.content.decode().split('role="alert"')[1]


def test_the_confirm_step_records_the_booking_and_the_children_only_when_it_shows_them(
    client, s, django_capture_on_commit_callbacks
):
    from tsuen.audit.models import AuditEvent

    def events(child):
        rows = AuditEvent.objects.values_list("action", "object_type", "subject_child_ids")
        return sorted((action, kind) for action, kind, ids in rows if child.pk in ids)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(book_url(s), form(s, "confirm")).status_code == 302
    assert events(s.child) == [("create", "booking.booking")]  # nothing shown but the booking

    other = s.another_family()
    client.force_login(other.user)
    s.fill()
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(book_url(s), form(s, "confirm", children=[other.child.pk]))
    assert refused.status_code == 400
    assert other.child.given_name in refused.content.decode()  # the form is shown again
    assert events(other.child) == [("list", "families.child")]
