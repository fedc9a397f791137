"""The facility allocates regular use: bookings for every matching weekday inside the caps and
places, the other dates trimmed with a reason; another facility gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, class_of, scene
from tests.queued import as_sent
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.booking import regular_staff
from tsuen.booking.models import Booking, BookingKind, RegularUseRequest, RegularUseStatus
from tsuen.core import clock

pytestmark = pytest.mark.django_db
MONDAYS = [
    dt.date(2026, 12, 7),
    dt.date(2026, 12, 14),
    dt.date(2026, 12, 21),
    dt.date(2026, 12, 28),
]


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the pages and refusals in English (Japanese is the default; the
    catalogue test proves every string has its Japanese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _english_and_frozen():
    with translation.override("en"), clock.frozen(NOW):
        yield


class World:
    def __init__(self):
        s = scene(day=MONDAYS[0])
        s.facility.offers_regular = True
        s.facility.save()
        self.s = s
        age_class = class_of(s.child.birth_date, MONDAYS[0])
        self.slots = {MONDAYS[0]: s.slot}
        for day in MONDAYS[1:]:
            self.slots[day] = f.place_slot(s.facility, day, age_class=age_class, capacity=3)
        self.request = RegularUseRequest.objects.create(
            child=s.child,
            facility=s.facility,
            weekday=0,
            starts_at=dt.time(9),
            ends_at=dt.time(12),
            period_from=MONDAYS[0],
            period_to=dt.date(2026, 12, 31),
            requested_by=s.user,
        )
        self.staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
        f.second_factor(self.staff)


@pytest.fixture
def world():
    return World()


def _allocate(staff, request_id):
    """Allocate as the page does: confirm the proposal shown."""
    token = regular_staff.request_page(staff, request_id).proposal.token
    return regular_staff.allocate(staff, request_id, confirm_token=token)


def test_allocation_trims_at_the_cap_with_reasons(world):
    """3 hours every Monday of December: 9 hours fit under the 10-hour monthly cap, the fourth
    Monday is refused with the cap's reason."""
    allocation = _allocate(world.staff, world.request.pk)
    assert [o.day for o in allocation.outcomes] == MONDAYS
    assert [o.ok for o in allocation.outcomes] == [True, True, True, False]
    assert "limit of 10 hours" in allocation.refused[0].reasons[0]
    bookings = Booking.objects.filter(child=world.s.child).order_by("date")
    assert [b.date for b in bookings] == MONDAYS[:3]
    assert {b.kind for b in bookings} == {BookingKind.REGULAR}
    assert {b.billable_minutes for b in bookings} == {180}
    world.request.refresh_from_db()
    assert world.request.status == RegularUseStatus.ALLOCATED


def test_a_full_day_and_a_day_without_slot_are_trimmed(world):
    world.s.fill(world.slots[MONDAYS[1]])
    world.slots[MONDAYS[2]].bookings.all().delete()
    world.slots[MONDAYS[2]].delete()
    allocation = _allocate(world.staff, world.request.pk)
    ok = {o.day: o for o in allocation.outcomes}
    assert ok[MONDAYS[0]].ok and ok[MONDAYS[3]].ok
    assert not ok[MONDAYS[1]].ok and "No place left" in ok[MONDAYS[1]].reasons[0]
    assert not ok[MONDAYS[2]].ok and "no places" in ok[MONDAYS[2]].reasons[0]


def test_nothing_bookable_refuses_the_request(world):
    for slot in world.slots.values():
        world.s.fill(slot)
    allocation = _allocate(world.staff, world.request.pk)
    assert not allocation.created
    world.request.refresh_from_db()
    assert world.request.status == RegularUseStatus.REFUSED


def test_answered_request_is_refused_and_nothing_changes(world):
    _allocate(world.staff, world.request.pk)
    count = Booking.objects.count()
    with pytest.raises(ValidationError, match="already been answered"):
        regular_staff.allocate(world.staff, world.request.pk, confirm_token="x")
    assert Booking.objects.count() == count


def test_another_facility_gets_404(world):
    other = f.user(Role.FACILITY_STAFF, facility=f.facility(world.s.muni))
    with pytest.raises(Http404):
        regular_staff.allocate(other, world.request.pk)
    with pytest.raises(Http404):
        regular_staff.allocate(world.s.user, world.request.pk)
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()


def test_pages(client, world, django_capture_on_commit_callbacks):
    """List, proposal (books nothing), confirmation, then a result page that reloads."""
    login_with_second_factor(client, world.staff)
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(reverse("booking:staff_regular"))
    assert page.status_code == 200 and world.s.child.given_name in page.content.decode()
    assert AuditEvent.objects.count() > before
    detail = reverse("booking:staff_regular_request", args=[world.request.pk])
    url = reverse("booking:staff_regular_allocate", args=[world.request.pk])
    proposal = client.get(detail)
    assert proposal.status_code == 200
    assert "3 days booked, 1 days left out" in proposal.content.decode()
    assert "limit of 10 hours" in proposal.content.decode()
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()
    token = proposal.context["page"].proposal.token
    # No confirmation, or a stale one: 400, nothing booked.
    assert client.post(url).status_code == 400
    assert client.post(url, {"confirm": "stale"}).status_code == 400
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()
    assert client.get(url)["Location"] == detail
    response = client.post(url, {"confirm": token})
    assert response.status_code == 302 and response["Location"] == detail
    assert Booking.objects.filter(kind=BookingKind.REGULAR).count() == 3
    # The result page reopens (a reload is a GET), with every date and its reason.
    for _ in range(2):
        result = client.get(detail)
        body = result.content.decode()
        assert result.status_code == 200
        assert "3 days booked, 1 days left out" in body and "limit of 10 hours" in body
    assert client.post(url, {"confirm": token}).status_code == 400
    assert Booking.objects.filter(kind=BookingKind.REGULAR).count() == 3


def test_allocation_refused_when_the_proposal_changed(world):
    """A place taken after the proposal was shown: the confirmation is refused, nothing is
    booked, the request stays open."""
    token = regular_staff.request_page(world.staff, world.request.pk).proposal.token
    world.s.fill(world.slots[MONDAYS[1]])
    with pytest.raises(ValidationError) as refused:
        regular_staff.allocate(world.staff, world.request.pk, confirm_token=token)
    assert refused.value.code == "changed"
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()
    world.request.refresh_from_db()
    assert world.request.status == RegularUseStatus.REQUESTED


def test_decline_with_a_reason_the_family_reads(client, world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    login_with_second_factor(client, world.staff)
    url = reverse("booking:staff_regular_decline", args=[world.request.pk])
    assert client.post(url, {"reason": "  "}).status_code == 400
    world.request.refresh_from_db()
    assert world.request.status == RegularUseStatus.REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "月曜は定員に達しています"})
    assert response.status_code == 302
    world.request.refresh_from_db()
    assert world.request.status == RegularUseStatus.REFUSED
    assert world.request.decline_reason == "月曜は定員に達しています"
    assert not Booking.objects.filter(kind=BookingKind.REGULAR).exists()
    [task] = DBTaskResult.objects.all()
    # The email says there is a reason; the reason itself stays behind the login.
    _to, _subject, body = as_sent(task)
    assert "月曜は定員に達しています" not in body
    assert "お断り" in body  # the guardian reads Japanese
    assert "月曜は定員に達しています" in client.get(response["Location"]).content.decode()
    client.logout()
    login_with_second_factor(client, world.s.user)
    family = client.get(reverse("booking:regular_list")).content.decode()
    assert "月曜は定員に達しています" in family


def test_the_family_is_told_the_answer(world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        _allocate(world.staff, world.request.pk)
    [task] = DBTaskResult.objects.all()
    to, subject, body = as_sent(task)
    assert to == world.s.user.email
    assert world.s.facility.name in subject
    assert reverse("booking:regular_list") in body
