"""The iCal feed of a child's bookings behind a secret URL that the family can reset."""

import datetime as dt

import icalendar
import pytest
from django.conf import settings
from django.http import Http404
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import BookingStatus
from tsuen.core import clock
from tsuen.core.context import acting_as, actor_for
from tsuen.core.tokens import token_hash
from tsuen.facilities.models import PlaceSlot
from tsuen.notices import feeds
from tsuen.notices.models import CalendarFeed

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0)


@pytest.fixture
def family():
    ward = f.municipality()
    guardian, _household, child = f.family(ward, given_name="一花")
    facility = f.facility(ward, name="ひだまり保育園", address="東京都新宿区新宿2-2-2")
    return guardian, child, facility


def book(child, facility, guardian, day, **kw):
    return f.booking(child, f.place_slot(facility, day), guardian, **kw)


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def fetch(client, url):
    return client.get(url.removeprefix("http://127.0.0.1:8000"))


def test_feed_lists_the_childs_confirmed_bookings_in_tokyo_time(client, family):
    guardian, child, facility = family
    book(child, facility, guardian, dt.date(2026, 12, 3))
    book(child, facility, guardian, dt.date(2026, 12, 4), status=BookingStatus.CANCELLED)
    book(child, facility, guardian, dt.date(2026, 10, 31))  # more than 30 days ago
    book(child, facility, guardian, dt.date(2026, 11, 2), start=dt.time(13), end=dt.time(15))
    _, _, other = f.family(facility.municipality)
    f.booking(other, PlaceSlot.objects.get(date=dt.date(2026, 12, 3)), guardian)  # not this child
    with clock.frozen(NOW):
        url = feeds.reset_feed(guardian, child.pk)
        response = fetch(client, url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "private"
    assert "TZID=Asia/Tokyo" in response.content.decode()
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    starts = [e.decoded("dtstart") for e in events]
    assert [(s.date(), s.hour, str(s.tzinfo)) for s in starts] == [
        (dt.date(2026, 11, 2), 13, "Asia/Tokyo"),
        (dt.date(2026, 12, 3), 10, "Asia/Tokyo"),
    ]
    assert {str(e["summary"]) for e in events} == {"ひだまり保育園"}
    assert "東京都新宿区新宿2-2-2" in str(events[0]["location"])
    assert calendar.walk("VTIMEZONE")


def test_the_feed_carries_no_childs_name_or_health_data(client, family):
    guardian, child, facility = family
    book(child, facility, guardian, dt.date(2026, 12, 3))
    with clock.frozen(NOW):
        body = fetch(client, feeds.reset_feed(guardian, child.pk)).content.decode()
    assert "一花" not in body and child.family_name not in body


def test_only_a_hash_of_the_token_is_stored(family):
    guardian, child, _ = family
    token = token_of(feeds.reset_feed(guardian, child.pk))
    feed = CalendarFeed.objects.get()
    assert token not in feed.token_sha256
    assert feed.token_sha256 == token_hash(token)
    assert len(token) >= 40


def test_reset_invalidates_the_old_url(client, family):
    guardian, child, _ = family
    with clock.frozen(NOW):
        old = feeds.reset_feed(guardian, child.pk)
        assert fetch(client, old).status_code == 200
        new = feeds.reset_feed(guardian, child.pk)
        assert fetch(client, old).status_code == 404
        assert fetch(client, new).status_code == 200
    feed = CalendarFeed.objects.get()
    assert feed.reset_at is not None


def test_removing_the_feed_turns_the_url_off(client, family):
    guardian, child, _ = family
    url = feeds.reset_feed(guardian, child.pk)
    feeds.remove_feed(guardian, child.pk)
    assert fetch(client, url).status_code == 404


def test_unknown_token_is_404(client):
    assert client.get(reverse("notices:ical", args=["nothing-here"])).status_code == 404


def test_each_fetch_is_audited_as_anonymous_with_the_feed_as_object(
    client, family, django_capture_on_commit_callbacks
):
    guardian, child, _ = family
    url = feeds.reset_feed(guardian, child.pk)
    client.force_login(guardian)  # even a logged-in fetch is the URL's, not the session's
    with django_capture_on_commit_callbacks(execute=True):
        fetch(client, url)
        fetch(client, url)
    events = AuditEvent.objects.filter(object_type="notices.calendarfeed", action="read")
    assert events.count() == 2
    event = events.first()
    assert (event.actor_id, event.actor_role) == (None, "anonymous")
    assert event.object_id == str(CalendarFeed.objects.get().pk)
    assert event.subject_child_ids == [child.pk]
    assert event.source_address == "127.0.0.1"


def test_only_the_family_makes_or_resets_a_feed(client, family):
    _, child, _ = family
    stranger, _, _ = f.family(child.household.municipality)
    staff = f.user(Role.FACILITY_STAFF, facility=f.facility(child.household.municipality))
    for outsider in (stranger, staff):
        with pytest.raises(Http404):
            feeds.reset_feed(outsider, child.pk)
    client.force_login(stranger)
    response = client.post(
        reverse("notices:calendar_settings"), {"child": child.pk, "action": "reset"}
    )
    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


def test_settings_page_shows_the_url_once_and_says_so(
    client, family, django_capture_on_commit_callbacks
):
    guardian, child, _ = family
    client.force_login(guardian)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings_url = reverse("notices:calendar_settings")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(settings_url, {"child": child.pk, "action": "reset"})
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    feed = CalendarFeed.objects.get()
    shown = [w for w in body.split('"') if w.startswith("http") and w.endswith(".ics")]
    assert len(shown) == 1 and token_hash(token_of(shown[0])) == feed.token_sha256
    assert "This is the only time the URL is shown" in body
    again = client.get(settings_url).content.decode()
    assert token_of(shown[0]) not in again
    assert AuditEvent.objects.filter(object_type="notices.calendarfeed", action="create").exists()


def test_settings_page_is_404_for_staff(client, family):
    _, _, facility = family
    staff = f.user(Role.FACILITY_STAFF, facility=facility)
    f.second_factor(staff)
    login_with_second_factor(client, staff)
    assert client.get(reverse("notices:calendar_settings")).status_code == 404


def test_reset_is_audited_with_the_acting_guardian(family, django_capture_on_commit_callbacks):
    guardian, child, _ = family
    with django_capture_on_commit_callbacks(execute=True), acting_as(actor_for(guardian)):
        feeds.reset_feed(guardian, child.pk)
        feeds.reset_feed(guardian, child.pk)
    actions = list(
        AuditEvent.objects.filter(object_type="notices.calendarfeed")
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [("create", guardian.pk), ("update", guardian.pk)]
