"""Issue 10: the facility is told by email of a new first interview request, a booking and a
family's cancellation -- at the address it set (Facility.notice_email); none set: no email.
The email says what and when, never who (it goes to a shared mailbox)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.booking.scene import NOW, scene
from tests.queued import queued_mail
from tsuen.booking import services
from tsuen.core import clock
from tsuen.facilities.models import InterviewSlot
from tsuen.facilities.services import request_interview

pytestmark = pytest.mark.django_db

T = dt.time
OFFICE = "office@hidamari.example.jp"


def to_office() -> list[tuple[str, str, str]]:
    return [m for m in queued_mail() if m[0] == OFFICE]


@pytest.fixture
def s():
    s = scene()
    s.facility.notice_email = OFFICE
    s.facility.save()
    return s


def test_a_booking_tells_the_facility(s, django_capture_on_commit_callbacks):
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        services.book(s.user, s.child.pk, s.slot.pk, T(10), T(11, 30))
    [(_, subject, body)] = to_office()
    assert "新しい予約" in subject and s.facility.name in subject
    assert "12月10日" in subject  # the date in words, not ISO and "10:00–11:30" in body
    assert f"{reverse('attendance:staff_day')}?date=2026-12-10" in body
    assert s.child.given_name not in subject + body  # who booked stays behind the login


def test_a_cancellation_by_the_family_tells_the_facility(s, django_capture_on_commit_callbacks):
    with clock.frozen(NOW):
        booking = services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        services.cancel(s.user, booking.pk)
    # The booking's email was queued with the booking (the queue is a table of the same
    # database), the cancellation's with the cancellation.
    (_, made, _), (_, subject, body) = to_office()
    assert "新しい予約" in made
    assert "保護者による予約の取消" in subject and "10:00–12:00" in body
    assert s.child.family_name not in subject + body


def test_an_interview_request_tells_the_facility(s, django_capture_on_commit_callbacks):
    starts = NOW + dt.timedelta(days=3)
    slot = InterviewSlot.objects.create(
        facility=s.facility, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )
    s.child.interviews.all().delete()  # the family has not met this facility yet
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        interview = request_interview(s.user, s.child.pk, slot.pk)
    [(_, subject, body)] = to_office()
    assert "初回面談の申込み" in subject
    assert "12月4日" in body and "10:00" in body and "2026-12-04" not in body
    assert reverse("facilities:staff_interview_decide", args=[interview.pk]) in body


def test_no_address_no_email(django_capture_on_commit_callbacks):
    s = scene()  # the default: no notice address
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        booking = services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))
        services.cancel(s.user, booking.pk)
    # the family's confirmation and its cancellation email only
    assert [m[0] for m in queued_mail()] == [s.user.email, s.user.email]


def test_a_refused_booking_tells_nobody(s, django_capture_on_commit_callbacks):
    with (
        clock.frozen(NOW),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.BookingRefused),
    ):
        services.book(s.user, s.child.pk, s.slot.pk, T(10), T(10, 30))  # under an hour
    assert to_office() == []


def test_the_manager_sets_the_address_on_the_profile_and_the_service_checks_it(client):
    from tests import factories as f
    from tsuen.accounts.models import Role
    from tsuen.accounts.testing import login_with_second_factor
    from tsuen.facilities import services_staff

    s = scene()
    manager = f.user(Role.FACILITY_MANAGER, facility=s.facility)
    f.second_factor(manager)
    with pytest.raises(services_staff.StaffRefused) as refused:
        services_staff.update_profile(manager, {"notice_email": "office at hidamari"})
    assert "name@example.jp" in refused.value.messages[0]
    s.facility.refresh_from_db()
    assert s.facility.notice_email == ""
    login_with_second_factor(client, manager)
    form = client.get(reverse("facilities:staff_profile")).content.decode()
    assert 'name="notice_email"' in form
    services_staff.update_profile(manager, {"notice_email": OFFICE})
    s.facility.refresh_from_db()
    assert s.facility.notice_email == OFFICE


def test_an_email_is_queued_with_its_change_and_rolled_back_with_it(s):
    """The task's row is written in the change's transaction: a booking has its email queued
    before its transaction ends (no commit of its own), and a booking whose transaction is
    rolled back after the insert leaves no email."""
    from django.db import transaction

    with clock.frozen(NOW), transaction.atomic():
        services.book(s.user, s.child.pk, s.slot.pk, T(10), T(11))
        assert len(to_office()) == 1  # queued inside the booking's transaction
    try:
        with clock.frozen(NOW), transaction.atomic():
            services.book(s.user, s.child.pk, s.slot.pk, T(13), T(14))
            raise RuntimeError("the request failed after the booking")
    except RuntimeError:
        pass
    assert len(to_office()) == 1  # the second booking and its email are gone together
