"""Regular use (定期利用) requests: the family asks a facility that offers regular use, after an
accepted first interview; every rule is enforced in the service; the facility reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, scene
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.booking import regular
from tsuen.booking.models import RegularUseRequest, RegularUseStatus
from tsuen.core import clock
from tsuen.facilities.models import InterviewStatus, PlaceTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read the refusal messages in English (the Japanese ones are checked in the
    browser and page tests)."""
    with translation.override("en"):
        yield


FIRST, LAST = dt.date(2026, 12, 7), dt.date(2027, 2, 26)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def s():
    s = scene()
    s.facility.offers_regular = True
    s.facility.save()
    for weekday in range(1, 6):  # the weekly template opens Monday to Friday
        PlaceTemplate.objects.create(
            facility=s.facility, weekday=weekday, starts_at=dt.time(9), ends_at=dt.time(17),
            age_class=s.slot.age_class, places=3,
        )  # fmt: skip
    return s


def ask(s, **kw):
    args = dict(
        weekday=2,
        start=dt.time(9),
        end=dt.time(12),
        period_from=FIRST,
        period_to=LAST,
        note="午前のみ",
    )
    return regular.request(s.user, s.child.pk, s.facility.pk, **(args | kw))


def test_a_family_asks_for_regular_use(s):
    made = ask(s)
    assert made.status == RegularUseStatus.REQUESTED
    assert (made.weekday, made.starts_at, made.period_to) == (2, dt.time(9), LAST)
    assert made.note == "午前のみ"
    assert made.requested_by == s.user


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(end=dt.time(9)), "after the start"),
        (dict(end=dt.time(9, 30)), "at least 60 minutes"),
        (dict(end=dt.time(10, 15)), "steps of 30"),
        (dict(period_from=NOW.date()), "start after today"),
        (dict(period_to=FIRST - dt.timedelta(days=1)), "not be before"),
        (dict(period_to=FIRST + dt.timedelta(days=400)), "at most one year"),
        (dict(period_to=FIRST + dt.timedelta(days=1), weekday=4), "does not occur"),
        (dict(note="あ" * 501), "too long"),
        (dict(weekday=7), "day of the week"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(s, change, message):
    with pytest.raises(regular.RegularRequestRefused, match=message):
        ask(s, **change)
    assert not RegularUseRequest.objects.exists()


def test_only_facilities_that_offer_regular_use(s):
    s.facility.offers_regular = False
    s.facility.save()
    with pytest.raises(regular.RegularRequestRefused, match="does not offer regular use"):
        ask(s)


def test_only_after_an_accepted_interview(s):
    s.child.interviews.update(status=InterviewStatus.REQUESTED)
    with pytest.raises(regular.RegularRequestRefused, match="first interview"):
        ask(s)


def test_only_for_a_certified_child(s):
    s.child.certifications.update(valid_to=FIRST - dt.timedelta(days=1))
    with pytest.raises(regular.RegularRequestRefused, match="not certified"):
        ask(s)


def test_only_on_a_weekday_the_facility_opens(s):
    """Saturday (5): the weekly template never opens then; nothing is asked."""
    with pytest.raises(regular.RegularRequestRefused, match="does not open on Saturday"):
        ask(s, weekday=5)
    PlaceTemplate.objects.filter(facility=s.facility, weekday=3).delete()
    with pytest.raises(regular.RegularRequestRefused, match="does not open on Wednesday"):
        ask(s)
    assert not RegularUseRequest.objects.exists()


def test_within_the_facilitys_hours(s):
    s.facility.opens_at, s.facility.closes_at = dt.time(9), dt.time(17)
    s.facility.save()
    with pytest.raises(regular.RegularRequestRefused, match="open from 09:00 to 17:00"):
        ask(s, start=dt.time(16), end=dt.time(18))


def test_a_double_submitted_request_asks_once(s):
    ask(s)
    with pytest.raises(regular.RegularRequestRefused, match="already asked"):
        ask(s)
    assert RegularUseRequest.objects.count() == 1


def test_only_the_family_may_ask(s):
    stranger = s.another_family()
    with pytest.raises(Http404):
        regular.request(
            stranger.user, s.child.pk, s.facility.pk, 2, dt.time(9), dt.time(12), FIRST, LAST
        )


def test_withdraw_until_the_facility_answers(s):
    made = ask(s)
    regular.withdraw(s.user, made.pk)
    made.refresh_from_db()
    assert made.status == RegularUseStatus.WITHDRAWN
    with pytest.raises(regular.RegularRequestRefused, match="already answered"):
        regular.withdraw(s.user, made.pk)
    with pytest.raises(Http404):
        regular.withdraw(s.another_family().user, made.pk)


def test_the_facility_reads_the_requests_made_to_it(s, django_capture_on_commit_callbacks):
    made = ask(s)
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    other = f.user(Role.FACILITY_STAFF, facility=f.facility(s.muni))
    with django_capture_on_commit_callbacks(execute=True):
        assert regular.requests_for_facility(staff) == [made]
    assert AuditEvent.objects.filter(object_type="booking.regularuserequest").exists()
    assert regular.requests_for_facility(other) == []
    with pytest.raises(Http404):
        regular.requests_for_facility(s.user)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=s.muni)
    with pytest.raises(Http404):
        regular.requests_for_facility(reviewer)


def test_the_form_offers_only_facilities_with_regular_use_and_an_accepted_interview(s, client):
    elsewhere = f.facility(s.muni, offers_regular=True, name="面談なし園")
    no_regular = f.facility(s.muni, offers_regular=False, name="定期なし園")
    f.interview(s.child, no_regular, s.user)
    client.force_login(s.user)
    page = client.get(reverse("booking:regular_request") + f"?facility={s.facility.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert s.facility.name in body
    assert elsewhere.name not in body and no_regular.name not in body
    assert f'value="{s.facility.pk}" selected' in body


def test_the_form_posts_and_lists(s, client, django_capture_on_commit_callbacks):
    client.force_login(s.user)
    data = {
        "facility": s.facility.pk,
        "child": s.child.pk,
        "weekday": 2,
        "start": "09:00",
        "end": "12:00",
        "period_from": FIRST.isoformat(),
        "period_to": LAST.isoformat(),
        "note": "",
    }
    response = client.post(reverse("booking:regular_request"), data)
    assert response.status_code == 302
    assert RegularUseRequest.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        listing = client.get(reverse("booking:regular_list"))
    assert s.facility.name in listing.content.decode()


def test_bad_form_input_writes_nothing(s, client):
    client.force_login(s.user)
    data = {
        "facility": s.facility.pk,
        "child": s.child.pk,
        "weekday": 2,
        "start": "09:00",
        "end": "09:30",
        "period_from": FIRST.isoformat(),
        "period_to": "not a date",
    }
    response = client.post(reverse("booking:regular_request"), data)
    assert response.status_code == 400
    data["period_to"] = LAST.isoformat()
    response = client.post(reverse("booking:regular_request"), data)
    assert response.status_code == 400
    assert "60" in response.content.decode()
    assert not RegularUseRequest.objects.exists()
