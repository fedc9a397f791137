"""The ward's facility register: registering and editing (every rule refuses and writes
nothing), the manager's invitation, suspension with its effect on booking, and 404s."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from tests import factories as f
from tests.booking.scene import NOW as BOOKING_NOW
from tests.booking.scene import scene
from tests.queued import as_sent
from tsuen.accounts.models import Role, User
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.booking import services as booking
from tsuen.core import clock
from tsuen.facilities import services as public
from tsuen.facilities import services_staff as staff
from tsuen.facilities import services_ward as ward_services
from tsuen.facilities.models import Facility, FacilitySuspension, StaffInvitation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _staff(role, ward):
    account = f.user(role, municipality=ward)
    f.second_factor(account)
    return account


@pytest.fixture
def admin(ward):
    return _staff(Role.MUNICIPAL_ADMIN, ward)


@pytest.fixture
def reviewer(ward):
    return _staff(Role.MUNICIPAL_REVIEWER, ward)


def valid(**changes) -> dict:
    return {
        "facility_type": "general",
        "name": "ひだまり保育園",
        "name_kana": "ヒダマリホイクエン",
        "postal_code": "１６０－００２２",
        "address": "東京都新宿区新宿2-2-2",
        "latitude": Decimal("35.690921"),
        "longitude": Decimal("139.700258"),
        "phone": "03-1234-5678",
        "accepts_class_0": False,
        "accepts_class_1": True,
        "accepts_class_2": True,
        "offers_regular": False,
        "offers_flexible": True,
        "medical_care_support": False,
        "allergy_support": True,
        "fee_per_hour": 300,
        "opens_at": dt.time(8, 30),
        "closes_at": dt.time(17),
    } | changes


def as_post(values: dict) -> dict:
    return {
        name: ("on" if value is True else str(value))
        for name, value in values.items()
        if value is not False and value is not None
    }


def test_registering_writes_the_facility_in_the_admins_ward_and_audits(
    admin, ward, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        facility = ward_services.register_facility(admin, valid())
    facility.refresh_from_db()
    assert facility.municipality == ward and facility.postal_code == "160-0022"
    assert facility.accepts_class_1 and not facility.accepts_class_0 and not facility.suspended
    event = AuditEvent.objects.get(object_type="facilities.facility", object_id=str(facility.pk))
    assert event.action == "create" and "latitude" in event.field_names


BAD = [
    (
        {"accepts_class_1": False, "accepts_class_2": False},
        "Choose at least one age class that the facility accepts.",
    ),
    (
        {"offers_flexible": False},
        "Choose at least one use the facility offers (regular or flexible).",
    ),
    ({"latitude": Decimal("91")}, "The latitude must be between 20 and 46 (in Japan)."),
    ({"latitude": Decimal("3.5")}, "The latitude must be between 20 and 46 (in Japan)."),
    ({"longitude": Decimal("-139.7")}, "The longitude must be between 122 and 154 (in Japan)."),
    ({"longitude": None}, "Enter both the latitude and the longitude, or neither."),
    ({"closes_at": dt.time(8)}, "The closing time must be after the opening time."),
    ({"closes_at": dt.time(8, 30)}, "The closing time must be after the opening time."),
    ({"opens_at": None}, "Enter both the opening and the closing time, or neither."),
    ({"postal_code": "16-0022"}, "Enter the postal code as seven digits, for example 160-0022."),
]


@pytest.mark.parametrize("changes,message", BAD)
def test_a_bad_registration_is_refused_with_its_message_and_writes_nothing(admin, changes, message):
    with pytest.raises(staff.StaffRefused) as refused:
        ward_services.register_facility(admin, valid(**changes))
    assert message in refused.value.messages
    assert not Facility.objects.exists() and not AuditEvent.objects.exists()


def test_every_problem_is_listed_not_only_the_first(admin):
    with pytest.raises(staff.StaffRefused) as refused:
        ward_services.register_facility(
            admin, valid(accepts_class_1=False, accepts_class_2=False, offers_flexible=False)
        )
    assert len(refused.value.messages) == 2


def test_no_coordinates_are_fine(admin):
    facility = ward_services.register_facility(admin, valid(latitude=None, longitude=None))
    assert facility.latitude is None


def test_the_register_page_refuses_bad_input_with_400_and_writes_nothing(client, admin):
    login_with_second_factor(client, admin)
    response = client.post(
        reverse("facilities:ward_new"), as_post(valid(offers_flexible=False, closes_at="08:00"))
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose at least one use the facility offers" in body
    assert "The closing time must be after the opening time." in body
    assert not Facility.objects.exists()
    response = client.post(reverse("facilities:ward_new"), as_post(valid()))
    facility = Facility.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("facilities:ward_facility", args=[facility.pk])


def test_editing_changes_and_audits_only_the_changed_fields(
    client, admin, ward, django_capture_on_commit_callbacks
):
    facility = ward_services.register_facility(admin, valid())
    login_with_second_factor(client, admin)
    url = reverse("facilities:ward_edit", args=[facility.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, as_post(valid(fee_per_hour=350, offers_regular=True)))
    assert response.status_code == 302
    facility.refresh_from_db()
    assert facility.fee_per_hour == 350 and facility.offers_regular
    event = AuditEvent.objects.filter(action="update").get()
    assert sorted(event.field_names) == ["fee_per_hour", "offers_regular"]
    response = client.post(url, as_post(valid(accepts_class_1=False, accepts_class_2=False)))
    assert response.status_code == 400
    facility.refresh_from_db()
    assert facility.accepts_class_1


def test_the_list_filters_and_shows_the_managers_state(client, admin, reviewer, ward):
    active = f.facility(ward, name="あおぞら園", name_kana="アオゾラエン")
    f.user(Role.FACILITY_MANAGER, facility=active)
    invited = f.facility(ward, name="ひまわり園", name_kana="ヒマワリエン", suspended=True)
    ward_services.invite_manager(admin, invited.pk, "manager@example.jp")
    f.facility(ward, name="こすもす園", name_kana="コスモスエン", facility_type="spare_capacity")
    f.facility(f.municipality(name="乙区"), name="よその園")

    rows = ward_services.register(reviewer)
    assert [r.name for r in rows] == ["あおぞら園", "こすもす園", "ひまわり園"]
    state = {r.name: (r.manager_active, r.manager_invited) for r in rows}
    assert state == {
        "あおぞら園": (True, False),
        "こすもす園": (False, False),
        "ひまわり園": (False, True),
    }
    only = ward_services.RegisterFilters
    assert [r.name for r in ward_services.register(reviewer, only(suspended="yes"))] == [
        "ひまわり園"
    ]
    assert [r.name for r in ward_services.register(reviewer, only(name="コスモス"))] == [
        "こすもす園"
    ]
    assert [
        r.name for r in ward_services.register(reviewer, only(facility_type="spare_capacity"))
    ] == ["こすもす園"]

    login_with_second_factor(client, reviewer)
    page = client.get(reverse("facilities:ward_register"), {"suspended": "no"}).content.decode()
    assert "あおぞら園" in page and "ひまわり園" not in page and "よその園" not in page
    assert reverse("facilities:ward_new") not in page  # a reviewer does not register


def test_the_list_costs_the_same_queries_for_3_or_30_facilities(reviewer, ward):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            list(ward_services.register(reviewer))
        return len(queries)

    for _ in range(3):
        f.user(Role.FACILITY_MANAGER, facility=f.facility(ward))
    small = count()
    for _ in range(27):
        f.user(Role.FACILITY_MANAGER, facility=f.facility(ward))
    assert count() == small <= 3


def test_the_list_pages_by_fifty(client, reviewer, ward):
    for n in range(51):
        f.facility(ward, name=f"園{n:02d}", name_kana=f"エン{n:02d}")
    login_with_second_factor(client, reviewer)
    url = reverse("facilities:ward_register")
    first = client.get(url).content.decode()
    assert "51 facilities" in first and "園49" in first and "園50" not in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "園50" in second and "園49" not in second and 'rel="prev"' in second


def test_the_ward_invites_the_manager_through_the_facilitys_invitation(
    client, admin, ward, django_capture_on_commit_callbacks
):
    facility = f.facility(ward)
    login_with_second_factor(client, admin)
    url = reverse("facilities:ward_invite", args=[facility.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"email": "Manager@Example.jp"}).status_code == 302
    invitation = StaffInvitation.objects.get()
    assert invitation.role == Role.FACILITY_MANAGER and invitation.invited_by == admin
    # The email waits for the task worker: its queued body carries the one-use link.
    [queued] = DBTaskResult.objects.all()
    address, _subject, body = as_sent(queued)
    assert address == "manager@example.jp"
    [token] = [part.rsplit("/", 2)[-2] for part in body.split() if "/invitations/" in part]
    client.logout()
    accept = reverse("facilities:staff_invite_accept", args=[token])
    response = client.post(accept, {"full_name": "園長", "password": "a-long-pass-phrase-42"})
    assert response.status_code == 302
    manager = User.objects.get(email=invitation.email)
    assert manager.role == Role.FACILITY_MANAGER and manager.facility_id == facility.pk
    assert manager.needs_second_factor

    # An address that already has an account is refused with a clear message (400).
    login_with_second_factor(client, admin)
    response = client.post(url, {"email": manager.email})
    assert response.status_code == 400
    assert "An account with this email address already exists." in response.content.decode()
    assert StaffInvitation.objects.count() == 1


def test_suspension_stops_new_bookings_until_reinstated(client):
    s = scene()
    with clock.frozen(BOOKING_NOW):
        admin = _staff(Role.MUNICIPAL_ADMIN, s.muni)
        other = s.another_family()
        kept = booking.book(other.user, other.child.pk, s.slot.pk, dt.time(10), dt.time(12))
        with pytest.raises(staff.StaffRefused) as refused:
            ward_services.set_suspended(admin, s.facility.pk, True, "   ")
        assert "Give the reason for the suspension." in refused.value.messages

        login_with_second_factor(client, admin)
        url = reverse("facilities:ward_suspension", args=[s.facility.pk])
        page = client.get(url)
        assert 'id="future-bookings"' in page.content.decode()
        assert page.context["future_bookings"] == 1
        assert client.post(url, {"reason": ""}).status_code == 400
        assert not FacilitySuspension.objects.exists()
        reason = "保育士の配置基準を満たしていないため"
        assert client.post(url, {"reason": reason}).status_code == 302

        s.facility.refresh_from_db()
        assert s.facility.suspended
        change = FacilitySuspension.objects.get()
        assert change.changed_by == admin and change.changed_at == clock.now()
        with pytest.raises(booking.BookingRefused) as refusal:
            booking.book(s.user, s.child.pk, s.slot.pk, dt.time(10), dt.time(12))
        assert [p.code for p in refusal.value.problems] == ["facility_suspended"]
        kept.refresh_from_db()
        assert kept.status == "confirmed"  # bookings already made stay
        found = public.search_facilities(s.user, public.SearchCriteria(municipality_id=s.muni.pk))
        assert s.facility.pk not in [fac.pk for fac, _ in found.cards]

        assert client.post(url, {"reason": ""}).status_code == 302  # reinstated
        s.facility.refresh_from_db()
        assert not s.facility.suspended
        made = booking.book(s.user, s.child.pk, s.slot.pk, dt.time(10), dt.time(12))
        assert made.status == "confirmed"
        found = public.search_facilities(s.user, public.SearchCriteria(municipality_id=s.muni.pk))
        assert s.facility.pk in [fac.pk for fac, _ in found.cards]
        assert [c.suspended for c in FacilitySuspension.objects.all()] == [False, True]
        with pytest.raises(staff.StaffRefused):
            ward_services.set_suspended(admin, s.facility.pk, False)


def test_another_wards_staff_get_404_and_a_reviewer_only_reads(client, admin, reviewer, ward):
    facility = ward_services.register_facility(admin, valid())
    b = f.municipality(name="乙区")
    other_admin = _staff(Role.MUNICIPAL_ADMIN, b)
    writes = [
        ("facilities:ward_edit", as_post(valid(name="乗っ取り"))),
        ("facilities:ward_invite", {"email": "x@example.jp"}),
        ("facilities:ward_suspension", {"reason": "x"}),
    ]
    for account in (other_admin, _staff(Role.MUNICIPAL_REVIEWER, b), reviewer):
        client.logout()
        login_with_second_factor(client, account)
        page = client.get(reverse("facilities:ward_facility", args=[facility.pk]))
        assert page.status_code == (200 if account == reviewer else 404)
        for name, data in writes:
            url = reverse(name, args=[facility.pk])
            assert client.get(url).status_code == 404, (account.role, name)
            assert client.post(url, data).status_code == 404, (account.role, name)
    facility.refresh_from_db()
    assert facility.name == "ひだまり保育園" and not facility.suspended
    assert not StaffInvitation.objects.exists()
    # The other ward's admin registers into their own ward only, and lists only it.
    mine = ward_services.register_facility(other_admin, valid(name="乙の園"))
    assert mine.municipality == b
    assert [r.name for r in ward_services.register(other_admin)] == ["乙の園"]


def test_the_ward_nav_shows_facilities_to_the_payments_officer_without_the_review_queue(
    client, ward
):
    payments = _staff(Role.MUNICIPAL_PAYMENTS, ward)
    login_with_second_factor(client, payments)
    page = client.get(reverse("facilities:ward_register")).content.decode()
    nav = page[page.index('<nav class="sections"') :]
    nav = nav[: nav.index("</nav>")]
    assert reverse("facilities:ward_register") in nav
    assert f'href="{reverse("certification:staff_queue")}"' not in nav


def test_the_register_shows_the_facilities_the_ward_has_not_numbered(client, ward):
    """A facility without its facility number (事業所番号) cannot submit claims: the register
    shows it and finds every such facility."""
    numbered = f.facility(ward, name="あおぞら園", name_kana="アオゾラエン")
    f.facility(ward, name="ひまわり園", name_kana="ヒマワリエン", facility_number="")
    reviewer = _staff(Role.MUNICIPAL_REVIEWER, ward)
    only = ward_services.RegisterFilters
    missing = ward_services.register(reviewer, only(facility_number="missing"))
    assert [r.name for r in missing] == ["ひまわり園"]
    registered = ward_services.register(reviewer, only(facility_number="registered"))
    assert [r.name for r in registered] == ["あおぞら園"]

    login_with_second_factor(client, reviewer)
    url = reverse("facilities:ward_register")
    page = client.get(url).content.decode()
    rows = page[page.index('id="ward-facilities"') :]
    assert numbered.facility_number in rows and "Not registered yet" in rows
    page = client.get(url, {"facility_number": "missing"}).content.decode()
    rows = page[page.index('id="ward-facilities"') :]
    assert "ひまわり園" in rows and "あおぞら園" not in rows
