"""The waitlist: joining a full slot, offers of freed places in order with an expiry, the held
place, accepting through the booking service, withdrawing, and the expiry job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, scene
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.booking import services, waitlist
from tsuen.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from tsuen.booking.signals import place_freed
from tsuen.core import clock
from tsuen.facilities.models import InterviewStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read the refusal messages in English (the Japanese ones are checked in the
    browser and page tests)."""
    with translation.override("en"):
        yield


TEN, NOON = dt.time(10), dt.time(12)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def full_scene(capacity: int = 1):
    s = scene(capacity=capacity)
    bookings = s.fill()
    return s, bookings


def join(s, fam=None, start=TEN, end=NOON):
    fam = fam or s.fam
    return waitlist.join(fam.user, fam.child.pk, s.slot.pk, start, end)


# --- joining ---------------------------------------------------------------------------------


def test_a_family_joins_a_full_slot():
    s, _ = full_scene()
    entry = join(s)
    assert entry.status == WaitlistStatus.WAITING
    assert entry.created_at == NOW
    assert entry.requested_by == s.user


def test_joining_a_slot_with_free_places_is_refused():
    s = scene(capacity=2)
    s.fill(n=1)
    with pytest.raises(waitlist.WaitlistRefused, match="book one directly"):
        join(s)
    assert not WaitlistEntry.objects.exists()


def test_a_child_waits_once_per_slot():
    s, _ = full_scene()
    join(s)
    with pytest.raises(waitlist.WaitlistRefused, match="already on the waitlist"):
        join(s)
    assert WaitlistEntry.objects.count() == 1


def test_a_withdrawn_child_may_join_again():
    s, _ = full_scene()
    waitlist.withdraw(s.user, join(s).pk)
    assert join(s).status == WaitlistStatus.WAITING


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda s: s.child.certifications.all().delete(), "not certified"),
        (
            lambda s: s.child.interviews.update(status=InterviewStatus.DECLINED),
            "first interview",
        ),
    ],
)
def test_joining_needs_certification_and_an_accepted_interview(spoil, message):
    s, _ = full_scene()
    spoil(s)
    with pytest.raises(waitlist.WaitlistRefused, match=message):
        join(s)
    assert not WaitlistEntry.objects.exists()


def test_joining_checks_times_and_length():
    s, _ = full_scene()
    with pytest.raises(waitlist.WaitlistRefused, match="within the slot"):
        join(s, start=dt.time(8), end=dt.time(10))
    with pytest.raises(waitlist.WaitlistRefused, match="at least 60 minutes"):
        join(s, start=TEN, end=dt.time(10, 30))
    with pytest.raises(waitlist.WaitlistRefused, match="after the start"):
        join(s, start=NOON, end=TEN)
    assert not WaitlistEntry.objects.exists()


def test_a_slot_that_has_started_cannot_be_joined():
    s, _ = full_scene()
    with (
        clock.frozen(dt.datetime.combine(s.day, dt.time(9, 30))),
        pytest.raises(waitlist.WaitlistRefused, match="already started"),
    ):
        join(s)


def test_only_the_childs_family_may_join():
    s, _ = full_scene()
    stranger = s.another_family()
    with pytest.raises(Http404):
        waitlist.join(stranger.user, s.child.pk, s.slot.pk, TEN, NOON)
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    with pytest.raises(Http404):
        waitlist.join(staff, s.child.pk, s.slot.pk, TEN, NOON)


# --- offers ----------------------------------------------------------------------------------


def test_a_freed_place_is_offered_to_the_first_waiting_entry(django_capture_on_commit_callbacks):
    s, [booked] = full_scene()
    first = join(s)
    second_family = s.another_family()
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        second = join(s, second_family)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(booked.child.household.guardians.get().user, booked.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistStatus.OFFERED
    assert first.offered_at == NOW
    # 10:00 + 12 hours would end at 22:00, in the night: the hold ends at 10:00 the next day.
    assert first.offer_expires_at == NOW + dt.timedelta(days=1)
    assert second.status == WaitlistStatus.WAITING
    offers = [m.to for m in mail.outbox if reverse("booking:waitlist") in m.body]
    assert offers == [[s.user.email]]


def test_a_place_freed_by_an_ended_certification_is_offered(django_capture_on_commit_callbacks):
    from tsuen.certification import lifecycle
    from tsuen.certification.models import EndReason

    s, [booked] = full_scene()
    entry = join(s)
    with django_capture_on_commit_callbacks(execute=True):
        # The booked child moves out before the visit: the ward ends the certification.
        lifecycle.end_certification(
            s.staff, booked.child.pk, EndReason.MOVED_OUT, s.day - dt.timedelta(days=1)
        )
    booked.refresh_from_db()
    entry.refresh_from_db()
    assert booked.status == BookingStatus.CANCELLED_BY_FACILITY
    assert entry.status == WaitlistStatus.OFFERED


def test_places_the_manager_adds_are_offered_and_held_places_cannot_be_removed(
    django_capture_on_commit_callbacks,
):
    from tsuen.facilities import services_staff

    s, _ = full_scene()
    entry = join(s)
    manager = f.user(Role.FACILITY_MANAGER, facility=s.facility)
    with django_capture_on_commit_callbacks(execute=True):
        services_staff.set_capacity(manager, s.slot.pk, 2)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    # One place booked, one held for the offer: two places are taken.
    with pytest.raises(services_staff.StaffRefused, match="2 places"):
        services_staff.set_capacity(manager, s.slot.pk, 1)
    s.slot.refresh_from_db()
    assert s.slot.capacity == 2


def test_the_offer_email_names_the_facility_and_the_deadline(django_capture_on_commit_callbacks):
    s, _ = full_scene()
    entry = join(s)
    with django_capture_on_commit_callbacks(execute=True):
        s.slot.capacity = 2
        s.slot.save()
        place_freed.send(sender=Booking, place_slot=s.slot, now=NOW)
    entry.refresh_from_db()
    [message] = mail.outbox
    assert s.facility.name in message.subject
    # 10:00 + 12 hours would be 22:00: the offer is held until 10:00 the next morning.
    assert entry.offer_expires_at == NOW + dt.timedelta(days=1)
    assert "22:00" not in message.body
    assert reverse("booking:waitlist") in message.body


def test_an_offer_never_lasts_past_the_slots_start():
    s, _ = full_scene()
    entry = join(s)
    late = dt.datetime.combine(s.day - dt.timedelta(days=1), dt.time(22))
    with clock.frozen(late) as now:
        Booking.objects.update(status=BookingStatus.CANCELLED)
        waitlist.offer_next(s.slot)
    entry.refresh_from_db()
    assert entry.offer_expires_at == waitlist.slot_starts(s.slot)
    assert entry.offer_expires_at < now + dt.timedelta(hours=waitlist.WAITLIST_OFFER_HOURS)


@pytest.mark.parametrize(
    ("offered", "held_until"),
    [(dt.time(7), dt.time(19)), (dt.time(8), dt.time(20)), (dt.time(9), None)],
)
def test_an_offer_never_ends_in_the_night(offered, held_until):
    s, _ = full_scene()
    entry = join(s)
    at = dt.datetime.combine(NOW.date(), offered, tzinfo=NOW.tzinfo)
    with clock.frozen(at):
        Booking.objects.update(status=BookingStatus.CANCELLED)
        waitlist.offer_next(s.slot)
    entry.refresh_from_db()
    if held_until is None:  # 21:00 would be night: 10:00 the next morning
        expected = dt.datetime.combine(NOW.date() + dt.timedelta(days=1), dt.time(10))
    else:
        expected = dt.datetime.combine(NOW.date(), held_until)
    assert entry.offer_expires_at == expected.replace(tzinfo=NOW.tzinfo)


def test_an_open_offer_holds_the_place():
    s, _ = full_scene()
    join(s)
    Booking.objects.update(status=BookingStatus.CANCELLED)
    waitlist.offer_next(s.slot)
    assert waitlist.held_places(s.slot) == 1
    assert waitlist.places_left(s.slot) == 0
    # Someone else cannot take the held place through the booking service.
    other = s.another_family()
    with pytest.raises(services.BookingRefused) as refused:
        services.book(other.user, other.child.pk, s.slot.pk, TEN, NOON)
    assert refused.value.code == "full"


def test_offers_follow_the_order_of_joining_and_the_number_of_free_places():
    s, _ = full_scene(capacity=2)
    families = [s.fam, s.another_family(), s.another_family()]
    entries = []
    for minutes, fam in enumerate(families):
        with clock.frozen(NOW + dt.timedelta(minutes=minutes)):
            entries.append(join(s, fam))
    Booking.objects.update(status=BookingStatus.CANCELLED)  # both places free
    offered = waitlist.offer_next(s.slot)
    assert [e.pk for e in offered] == [entries[0].pk, entries[1].pk]
    for entry in entries:
        entry.refresh_from_db()
    assert [e.status for e in entries] == ["offered", "offered", "waiting"]


# --- accepting and withdrawing -----------------------------------------------------------------


def _offered(s):
    entry = join(s)
    Booking.objects.update(status=BookingStatus.CANCELLED)
    waitlist.offer_next(s.slot)
    entry.refresh_from_db()
    return entry


def test_accepting_books_the_place_through_the_booking_service():
    s, _ = full_scene()
    entry = _offered(s)
    booking = waitlist.accept(s.user, entry.pk)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.ACCEPTED
    assert entry.booking == booking
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.child, booking.place_slot) == (s.child, s.slot)
    assert waitlist.held_places(s.slot) == 0


def test_a_refused_booking_leaves_the_offer_open():
    s, _ = full_scene()
    entry = _offered(s)
    s.child.certifications.all().delete()  # the booking service now refuses
    with pytest.raises(waitlist.WaitlistRefused, match="not certified"):
        waitlist.accept(s.user, entry.pk)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    assert not Booking.objects.filter(child=s.child).exists()


def test_an_expired_offer_cannot_be_accepted():
    s, _ = full_scene()
    entry = _offered(s)
    with (
        clock.frozen(entry.offer_expires_at),
        pytest.raises(waitlist.WaitlistRefused, match="expired"),
    ):
        waitlist.accept(s.user, entry.pk)
    assert not Booking.objects.filter(child=s.child).exists()


def test_a_waiting_entry_cannot_be_accepted():
    s, _ = full_scene()
    entry = join(s)
    with pytest.raises(waitlist.WaitlistRefused, match="no open offer"):
        waitlist.accept(s.user, entry.pk)


def test_withdrawing_an_offer_passes_the_place_on():
    s, _ = full_scene()
    entry = join(s)
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        nxt = join(s, s.another_family())
    Booking.objects.update(status=BookingStatus.CANCELLED)
    waitlist.offer_next(s.slot)
    waitlist.withdraw(s.user, entry.pk)
    entry.refresh_from_db()
    nxt.refresh_from_db()
    assert entry.status == WaitlistStatus.WITHDRAWN
    assert nxt.status == WaitlistStatus.OFFERED


def test_another_family_cannot_answer_an_offer():
    s, _ = full_scene()
    entry = _offered(s)
    stranger = s.another_family()
    for answer in (waitlist.accept, waitlist.withdraw):
        with pytest.raises(Http404):
            answer(stranger.user, entry.pk)


# --- expiry ----------------------------------------------------------------------------------


def test_unanswered_offers_expire_and_pass_on():
    s, _ = full_scene()
    first = join(s)
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        second = join(s, s.another_family())
    Booking.objects.update(status=BookingStatus.CANCELLED)
    waitlist.offer_next(s.slot)
    first.refresh_from_db()
    assert waitlist.expire_offers(first.offer_expires_at - dt.timedelta(seconds=1)) == 0
    later = first.offer_expires_at
    assert waitlist.expire_offers(later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistStatus.EXPIRED
    assert second.status == WaitlistStatus.OFFERED
    assert second.offered_at == later


def test_the_command_expires_offers():
    s, _ = full_scene()
    entry = _offered(s)
    with clock.frozen(entry.offer_expires_at + dt.timedelta(minutes=1)):
        call_command("expire_waitlist_offers", stdout=open("/dev/null", "w"))  # noqa: SIM115
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED


def test_the_task_expires_offers():
    s, _ = full_scene()
    entry = _offered(s)
    with clock.frozen(entry.offer_expires_at):
        result = waitlist.expire_waitlist_offers_task.enqueue()
    assert result.return_value == 1


def test_the_queue_of_a_started_slot_closes():
    s, _ = full_scene()
    entry = join(s)
    with clock.frozen(dt.datetime.combine(s.day, dt.time(9, 1))):
        waitlist.expire_offers()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED


# --- pages -----------------------------------------------------------------------------------


def test_the_join_page_and_the_list(client, django_capture_on_commit_callbacks):
    s, _ = full_scene()
    client.force_login(s.user)
    url = reverse("booking:waitlist_join", args=[s.slot.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert s.child.given_name in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"child": s.child.pk, "start": "10:00", "end": "12:00"})
    assert response.status_code == 302
    assert WaitlistEntry.objects.filter(child=s.child).count() == 1
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        listing = client.get(reverse("booking:waitlist"))
    assert s.facility.name in listing.content.decode()
    assert AuditEvent.objects.count() > before


def test_bad_input_on_the_join_form_writes_nothing(client):
    s, _ = full_scene()
    client.force_login(s.user)
    url = reverse("booking:waitlist_join", args=[s.slot.pk])
    response = client.post(url, {"child": s.child.pk, "start": "10:00", "end": "10:30"})
    assert response.status_code == 400
    assert "60" in response.content.decode()
    response = client.post(url, {"child": s.child.pk, "start": "", "end": "12:00"})
    assert response.status_code == 400
    assert not WaitlistEntry.objects.exists()


def test_a_double_submitted_join_waits_once(client):
    s, _ = full_scene()
    client.force_login(s.user)
    url = reverse("booking:waitlist_join", args=[s.slot.pk])
    data = {"child": s.child.pk, "start": "10:00", "end": "12:00"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 400
    assert WaitlistEntry.objects.count() == 1


def test_accept_and_withdraw_buttons(client):
    s, _ = full_scene()
    entry = _offered(s)
    client.force_login(s.user)
    page = client.get(reverse("booking:waitlist")).content.decode()
    assert reverse("booking:waitlist_accept", args=[entry.pk]) in page
    response = client.post(reverse("booking:waitlist_accept", args=[entry.pk]))
    assert response.status_code == 302
    assert Booking.objects.filter(child=s.child, status=BookingStatus.CONFIRMED).exists()


def test_facility_staff_see_their_queue_only():
    s, _ = full_scene()
    join(s)
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    other_staff = f.user(Role.FACILITY_STAFF, facility=f.facility(s.muni))
    assert [e.child for e in waitlist.waiting_for_facility(staff)] == [s.child]
    assert waitlist.waiting_for_facility(other_staff) == []
    with pytest.raises(Http404):
        waitlist.waiting_for_facility(s.user)


def test_staff_pages_are_closed_to_facilities(client):
    s, _ = full_scene()
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    f.second_factor(staff)
    login_with_second_factor(client, staff)
    assert client.get(reverse("booking:waitlist")).status_code == 404
    url = reverse("booking:waitlist_join", args=[s.slot.pk])
    assert client.get(url).status_code == 404
