"""tsuen's own rate-limited routes: under the limit they work, over it they answer 429 with the
page and Retry-After, and the refused request writes nothing.

Each test narrows its limit (``settings.RATE_LIMITS``) to a count it can reach in a few
requests; the counting is the same as with the production values (tests/ratelimits/
test_limiter.py checks those are generous enough for real families).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tests.booking.scene import NOW as BOOKING_NOW
from tests.booking.scene import scene
from tests.certification.conftest import TODAY as APPLICATION_DAY
from tests.certification.conftest import answers, post_data
from tests.ratelimits.pages import assert_too_many
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import Booking
from tsuen.certification.models import Application, ApplicationStatus
from tsuen.core import clock
from tsuen.facilities.models import Interview, InterviewSlot
from tsuen.notices import feeds

pytestmark = pytest.mark.django_db

HOUR = 3600


def limit(settings, action: str, spec: str) -> None:
    settings.RATE_LIMITS = settings.RATE_LIMITS | {action: spec}


# --- booking: per user, the confirm step only ---------------------------------------------------


def booking_form(s, step, start="10:00", end="11:00", children=None):
    return {
        "slot": s.slot.pk,
        "children": children or [s.child.pk],
        "start": start,
        "end": end,
        "step": step,
    }


def test_booking_over_the_limit_is_refused_per_user_and_books_nothing(client, settings):
    limit(settings, "booking", "1/h/user")
    with clock.frozen(BOOKING_NOW):  # 10:00 sharp: the hour's window has 3600 s to run
        s = scene()
        client.force_login(s.user)
        url = reverse("booking:book") + f"?slot={s.slot.pk}"
        for _ in range(3):  # checking (the preview) is not counted
            assert client.post(url, booking_form(s, "check")).status_code == 200
        assert client.post(url, booking_form(s, "confirm")).status_code == 302
        assert Booking.unscoped.count() == 1

        refused = client.post(url, booking_form(s, "confirm", "13:00", "14:00"))
        assert assert_too_many(refused, wait_at_most=HOUR) == HOUR
        assert Booking.unscoped.count() == 1

        # Another family is not held back by this one.
        other = s.another_family()
        other_client = Client()
        other_client.force_login(other.user)
        form = booking_form(s, "confirm", children=[other.child.pk])
        assert other_client.post(url, form).status_code == 302
        assert Booking.unscoped.count() == 2


# --- application submit: per user, the submit action only --------------------------------------


@pytest.fixture
def applicant():
    """A guardian applying to 新宿区 (a real municipality code, for the postal-code fill)."""
    with clock.frozen(APPLICATION_DAY):
        f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
        yield f.user(Role.GUARDIAN, email="hanako@example.jp")


def test_submitting_applications_over_the_limit_is_refused_and_leaves_the_draft(
    client, settings, applicant
):
    limit(settings, "application_submit", "1/h/user")
    client.force_login(applicant)
    client.post(reverse("certification:start"), {"postal_code": "1600022"})
    application = Application.objects.get(applicant=applicant)
    f.consent(application.household, applicant)  # the purpose notice agreed (issue 12 item 3)
    url = reverse("certification:edit", args=[application.pk])
    incomplete = answers(given_name="")
    # Saving a draft is not counted; a submit is, even one the checks send back.
    assert client.post(url, post_data(incomplete, action="save")).status_code == 302
    assert client.post(url, post_data(incomplete)).status_code == 200

    refused = client.post(url, post_data(answers()))
    assert_too_many(refused, wait_at_most=HOUR)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.entries["children"][0]["given_name"] == ""  # nothing of it was saved
    assert [h.to_status for h in application.history.all()] == ["draft"]
    assert client.post(url, post_data(answers(), action="save")).status_code == 302


# --- interview requests: per user ----------------------------------------------------------------


def test_interview_requests_over_the_limit_are_refused_and_request_nothing(client, settings):
    limit(settings, "interview_request", "1/h/user")
    ward = f.municipality()
    guardian, household, child = f.family(ward)
    sibling = f.child(household, given_name="次郎")
    facility = f.facility(ward)
    starts = clock.now() + dt.timedelta(days=3)
    slot = InterviewSlot.objects.create(
        facility=facility, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), capacity=5
    )
    client.force_login(guardian)
    url = reverse("facilities:interview_request", args=[facility.pk])
    assert client.get(url).status_code == 200  # looking is not counted
    assert client.post(url, {"child": child.pk, "slot": slot.pk}).status_code == 302

    refused = client.post(url, {"child": sibling.pk, "slot": slot.pk})
    assert_too_many(refused, wait_at_most=HOUR)
    assert list(Interview.objects.values_list("child", flat=True)) == [child.pk]


# --- postal-code lookup: per client address ------------------------------------------------------


def test_postal_lookups_over_the_limit_are_refused_per_address(settings):
    limit(settings, "postal_lookup", "2/m/ip")
    guardian = f.user(Role.GUARDIAN)
    url = reverse("certification:postal", args=["1600022"])
    here = Client(REMOTE_ADDR="203.0.113.10")
    here.force_login(guardian)
    for _ in range(2):
        assert here.get(url, HTTP_ACCEPT="application/json").json()["city"] == "新宿区"

    refused = here.get(url, HTTP_ACCEPT="application/json")  # the form's script
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["found"] is False and body["retry_after"] == int(refused["Retry-After"])
    assert body["error"].startswith("短い時間に")  # Japanese, for the form's status line
    assert_too_many(here.get(url), wait_at_most=60)  # a browser opening the URL: the page

    elsewhere = Client(REMOTE_ADDR="203.0.113.11")
    elsewhere.force_login(guardian)
    assert elsewhere.get(url, HTTP_ACCEPT="application/json").status_code == 200


# --- the calendar feed: per feed token and per client address -----------------------------------


def test_calendar_feed_fetches_are_limited_per_token_and_per_address(
    settings, django_capture_on_commit_callbacks
):
    limit(settings, "calendar_feed", "2/h/token,3/h/ip")
    ward = f.municipality()
    guardian, household, first = f.family(ward)
    children = [first, f.child(household, given_name="次郎"), f.child(household, given_name="三郎")]

    def fetch(client, url):
        with django_capture_on_commit_callbacks(execute=True):  # the read's audit row
            return client.get(url)

    with clock.frozen(dt.datetime(2026, 12, 1, 9, 0)):
        one, two, three = (
            feeds.reset_feed(guardian, c.pk).removeprefix(settings.SITE_URL) for c in children
        )
        unknown = reverse("notices:ical", args=["no-such-token"])
        phone, laptop = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
        reads = AuditEvent.objects.filter(action="read").count

        assert [fetch(phone, one).status_code for _ in range(2)] == [200, 200]
        assert reads() == 2  # every served fetch is audited
        assert_too_many(fetch(phone, one), wait_at_most=HOUR)  # this feed's limit...
        assert_too_many(fetch(laptop, one), wait_at_most=HOUR)  # ...from any address
        assert reads() == 2  # refused fetches read nothing
        assert fetch(laptop, two).status_code == 200  # another feed is not held back

        # One address trying many feeds (guessing tokens) is stopped by the address limit.
        assert fetch(phone, unknown).status_code == 404
        assert_too_many(fetch(phone, three), wait_at_most=HOUR)
        assert fetch(laptop, three).status_code == 200
        assert reads() == 4
