"""The joint proposal of regular use: several open requests competing for the same places are
allocated together, first come first served, in one transaction with one confirmation token.

Three families ask for Monday mornings in December (9:00–11:00, four Mondays, 8 hours: under
the 10-hour monthly cap) in the same age class; every Monday slot has two places."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, class_of, scene
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
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
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), clock.frozen(NOW):
        yield


class Competing:
    """Requests made in the order 一花 (first), 二葉, 三咲 — but created in the database in
    another order, so first-come is by request time, not by id."""

    def __init__(self, capacity=2):
        s = scene(day=MONDAYS[0], capacity=capacity)
        s.facility.offers_regular = True
        s.facility.save()
        self.s = s
        age_class = class_of(s.child.birth_date, MONDAYS[0])
        self.slots = {MONDAYS[0]: s.slot}
        for day in MONDAYS[1:]:
            self.slots[day] = f.place_slot(s.facility, day, age_class=age_class, capacity=capacity)
        asked = {"一花": 1, "二葉": 2, "三咲": 3}  # minutes after NOW - 1 day
        self.requests = {}
        for name in ("三咲", "一花", "二葉"):
            fam = s.another_family(given_name=name)
            self.requests[name] = RegularUseRequest.objects.create(
                child=fam.child,
                facility=s.facility,
                weekday=0,
                starts_at=dt.time(9),
                ends_at=dt.time(11),
                period_from=MONDAYS[0],
                period_to=dt.date(2026, 12, 31),
                requested_by=fam.user,
                created_at=NOW - dt.timedelta(days=1) + dt.timedelta(minutes=asked[name]),
            )
        self.staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
        f.second_factor(self.staff)

    def pk(self, *names):
        return [self.requests[n].pk for n in names]

    def status(self, name):
        self.requests[name].refresh_from_db()
        return self.requests[name].status


@pytest.fixture
def world():
    return Competing()


def _booked(allocation):
    return [o.day for o in allocation.created]


def _regular_count():
    return Booking.objects.filter(kind=BookingKind.REGULAR).count()


def test_three_compete_for_two_places_first_come_wins(world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    page = regular_staff.joint_page(world.staff)
    assert [r.child.given_name for r in page.candidates] == ["一花", "二葉", "三咲"]
    joint = page.proposal
    assert [a.request.child.given_name for a in joint.allocations] == ["一花", "二葉", "三咲"]
    first, second, third = joint.allocations
    assert _booked(first) == MONDAYS and _booked(second) == MONDAYS
    assert not third.created
    assert all("No place left" in o.reasons[0] for o in third.refused)
    assert (joint.booked, joint.left_out) == (8, 4)
    assert _regular_count() == 0  # a proposal books nothing
    with django_capture_on_commit_callbacks(execute=True):
        made = regular_staff.allocate_joint(
            world.staff, world.pk("三咲", "二葉", "一花"), confirm_token=joint.token
        )
    assert [_booked(a) for a in made.allocations] == [MONDAYS, MONDAYS, []]
    assert _regular_count() == 8
    booked_children = set(
        Booking.objects.filter(kind=BookingKind.REGULAR).values_list("child__given_name", flat=True)
    )
    assert booked_children == {"一花", "二葉"}
    assert world.status("一花") == world.status("二葉") == RegularUseStatus.ALLOCATED
    assert world.status("三咲") == RegularUseStatus.REFUSED
    assert len(world.requests["三咲"].outcome) == 4
    assert DBTaskResult.objects.count() == 3  # every family is told


def test_two_compete_for_the_last_place_of_one_day(world):
    """One Monday has one place left: the earlier request gets it, the later one is trimmed
    on that day only."""
    world.s.fill(world.slots[MONDAYS[2]], n=1)
    joint = regular_staff.joint_page(world.staff, request_ids=world.pk("二葉", "一花")).proposal
    first, second = joint.allocations
    assert first.request.child.given_name == "一花" and _booked(first) == MONDAYS
    assert _booked(second) == [MONDAYS[0], MONDAYS[1], MONDAYS[3]]
    [left] = second.refused
    assert left.day == MONDAYS[2] and "No place left" in left.reasons[0]
    regular_staff.allocate_joint(world.staff, world.pk("一花", "二葉"), confirm_token=joint.token)
    assert _regular_count() == 7


def test_excluding_a_request_changes_who_gets_the_places(world):
    joint = regular_staff.joint_page(world.staff, request_ids=world.pk("二葉", "三咲")).proposal
    assert [_booked(a) for a in joint.allocations] == [MONDAYS, MONDAYS]
    assert world.pk("一花")[0] not in [a.request.pk for a in joint.allocations]


def test_a_booking_made_meanwhile_refuses_the_whole_proposal(world):
    """A family books a place after the page was shown: the token no longer matches, nothing
    of any request is written, every request stays open."""
    joint = regular_staff.joint_page(world.staff).proposal
    world.s.fill(world.slots[MONDAYS[3]], n=1)
    with pytest.raises(ValidationError) as refused:
        regular_staff.allocate_joint(
            world.staff, world.pk("一花", "二葉", "三咲"), confirm_token=joint.token
        )
    assert refused.value.code == "changed"
    assert _regular_count() == 0
    assert {world.status(n) for n in world.requests} == {RegularUseStatus.REQUESTED}


def test_no_token_or_another_selection_is_refused(world):
    joint = regular_staff.joint_page(world.staff).proposal
    with pytest.raises(ValidationError) as unconfirmed:
        regular_staff.allocate_joint(world.staff, world.pk("一花", "二葉", "三咲"))
    assert unconfirmed.value.code == "not_confirmed"
    with pytest.raises(ValidationError) as other:
        regular_staff.allocate_joint(
            world.staff, world.pk("一花", "二葉"), confirm_token=joint.token
        )
    assert other.value.code == "changed"
    assert _regular_count() == 0


def test_a_request_answered_meanwhile_refuses_and_writes_nothing(world):
    joint = regular_staff.joint_page(world.staff).proposal
    regular_staff.decline(world.staff, world.pk("三咲")[0], "定員に達しています")
    with pytest.raises(ValidationError) as refused:
        regular_staff.allocate_joint(
            world.staff, world.pk("一花", "二葉", "三咲"), confirm_token=joint.token
        )
    assert refused.value.code == "already_answered"
    assert _regular_count() == 0
    assert world.status("一花") == RegularUseStatus.REQUESTED


def test_a_request_of_another_facility_is_404(world):
    other = Competing()
    with pytest.raises(Http404):
        regular_staff.joint_page(world.staff, request_ids=world.pk("一花") + other.pk("一花"))
    with pytest.raises(Http404):
        regular_staff.allocate_joint(
            world.staff, world.pk("一花") + other.pk("一花"), confirm_token="x"
        )
    assert _regular_count() == 0
    # Each facility's joint page lists its own requests only.
    assert len(regular_staff.joint_page(world.staff).candidates) == 3


def test_the_single_request_is_the_joint_case_of_one(world):
    pk = world.pk("二葉")[0]
    single = regular_staff.request_page(world.staff, pk).proposal
    [joint] = regular_staff.joint_page(world.staff, request_ids=[pk]).proposal.allocations
    assert [o.stored() for o in single.outcomes] == [o.stored() for o in joint.outcomes]
    assert single.token == joint.token


def test_the_period_chooses_the_requests(world):
    late = world.requests["三咲"]
    late.period_from, late.period_to = dt.date(2027, 1, 4), dt.date(2027, 1, 25)
    late.save()
    page = regular_staff.joint_page(
        world.staff, period_from=dt.date(2026, 12, 1), period_to=dt.date(2026, 12, 31)
    )
    assert [r.child.given_name for r in page.candidates] == ["一花", "二葉"]
    with pytest.raises(ValidationError):
        regular_staff.joint_page(
            world.staff, period_from=dt.date(2026, 12, 31), period_to=dt.date(2026, 12, 1)
        )


def test_pages_decline_recomputes_then_confirm_and_reopen(client, world):
    login_with_second_factor(client, world.staff)
    url = reverse("booking:staff_regular_joint")
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "3 requests: 8 days booked, 4 days left out." in body
    assert "三咲: 0 days booked, 4 days left out." in body
    # Declining the first request recomputes the proposal: 三咲 now gets the places.
    pk = world.pk("一花")[0]
    decline = reverse("booking:staff_regular_joint_decline", args=[pk])
    selection = {"chosen": "1", "request": world.pk("一花", "二葉", "三咲")}
    assert client.post(decline, selection | {"reason": " "}).status_code == 400
    response = client.post(decline, selection | {"reason": "月曜は定員に達しています"})
    assert response.status_code == 302
    assert world.status("一花") == RegularUseStatus.REFUSED
    again = client.get(response["Location"])
    body = again.content.decode()
    assert "2 requests: 8 days booked, 0 days left out." in body
    assert "三咲: 4 days booked, 0 days left out." in body
    assert "月曜は定員に達しています" in body  # the declined one shows its answer
    token = again.context["page"].proposal.token
    allocate = reverse("booking:staff_regular_joint_allocate")
    chosen = {"chosen": "1", "request": world.pk("二葉", "三咲")}
    assert client.post(allocate, chosen).status_code == 400
    assert client.post(allocate, chosen | {"confirm": "stale"}).status_code == 400
    assert client.get(allocate)["Location"] == url
    assert _regular_count() == 0
    done = client.post(allocate, chosen | {"confirm": token})
    assert done.status_code == 302
    assert _regular_count() == 8
    for _ in range(2):  # the result page is a GET: it reopens, books nothing more
        result = client.get(done["Location"])
        body = result.content.decode()
        assert result.status_code == 200 and result.context["page"].proposal is None
        assert "三咲: 4 days booked, 0 days left out." in body
    assert client.post(allocate, chosen | {"confirm": token}).status_code == 400
    assert _regular_count() == 8


def test_bad_input_is_explained(client, world):
    login_with_second_factor(client, world.staff)
    url = reverse("booking:staff_regular_joint")
    for query in (
        {"from": "2026-13-01"},
        {"request": "x"},
        {"from": "2026-12-31", "to": "2026-12-01"},
    ):
        response = client.get(url, query)
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
