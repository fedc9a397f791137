import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.facilities.conftest import day
from tests.queued import queued_mail
from tsuen.accounts.models import Role, User
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core import dates
from tsuen.facilities import services_staff as staff
from tsuen.facilities.models import (
    ClosureDay,
    Interview,
    InterviewStatus,
    PlaceSlot,
    PlaceTemplate,
    StaffInvitation,
)

pytestmark = pytest.mark.django_db

MANAGER_PAGES = [
    ("facilities:staff_profile", []),
    ("facilities:staff_team", []),
    ("facilities:staff_invite", []),
    ("facilities:staff_places", []),
    ("facilities:staff_generate", []),
    ("facilities:staff_day_places", ["2026-12-22"]),
    ("facilities:staff_closures", []),
]


@pytest.fixture
def worker(fac):
    u = f.user(Role.FACILITY_STAFF, facility=fac)
    f.second_factor(u)
    return u


def _client(client, u):
    login_with_second_factor(client, u)
    return client


@pytest.mark.parametrize("name,args", MANAGER_PAGES)
def test_manager_pages(client, manager, worker, family, ward, name, args):
    url = reverse(name, args=args)
    assert _client(client, manager).get(url).status_code == 200
    client.logout()
    assert _client(client, worker).get(url).status_code == 404
    client.logout()
    other = f.user(Role.FACILITY_MANAGER, facility=f.facility(ward))
    f.second_factor(other)
    # another facility's manager reaches only their own facility on these URLs
    assert _client(client, other).get(url).status_code == 200
    client.logout()
    client.force_login(family[0])
    assert client.get(url).status_code == 404


def test_interview_desk_for_staff_and_404s(client, fac, worker, family, ward):
    guardian, _, kid = family
    interview = f.interview(kid, fac, guardian, status=InterviewStatus.REQUESTED)
    url = reverse("facilities:staff_interview_decide", args=[interview.pk])
    c = _client(client, worker)
    page = c.get(reverse("facilities:staff_interviews"))
    assert page.status_code == 200 and kid.given_name in page.content.decode()
    assert c.get(url).status_code == 200
    client.logout()
    other = f.user(Role.FACILITY_STAFF, facility=f.facility(ward))
    f.second_factor(other)
    assert _client(client, other).get(url).status_code == 404
    client.logout()
    client.force_login(guardian)
    assert client.get(url).status_code == 404


def test_decide_records_and_tells_family(
    client, fac, worker, family, mailoutbox, django_capture_on_commit_callbacks
):
    guardian, _, kid = family
    interview = f.interview(kid, fac, guardian, status=InterviewStatus.REQUESTED)
    c = _client(client, worker)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            reverse("facilities:staff_interview_decide", args=[interview.pk]),
            {"held_minutes": 35, "follow_up_recorded": "on", "notes": "ok", "decision": "accept"},
        )
    assert r.status_code == 302
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.ACCEPTED and interview.held_minutes == 35
    assert AuditEvent.objects.filter(object_type__icontains="interview").exists()


def test_generator_skips_holidays_and_closures_and_is_idempotent(fac, manager):
    PlaceTemplate.objects.create(
        facility=fac, weekday=1, starts_at=dt.time(9), ends_at=dt.time(12), age_class=1, places=3
    )
    PlaceTemplate.objects.create(
        facility=fac, weekday=1, starts_at=dt.time(13), ends_at=dt.time(16), age_class=1, places=3
    )
    ClosureDay.objects.create(facility=fac, date=dt.date(2027, 1, 18))
    made = staff.generate_places(manager, dt.date(2027, 1, 4), dt.date(2027, 1, 25))
    dates = sorted({s.date for s in PlaceSlot.objects.filter(facility=fac)})
    # 01-11 is 成人の日 (a Monday), 01-18 is closed.
    assert dates == [dt.date(2027, 1, 4), dt.date(2027, 1, 25)]
    assert len(made) == 4
    assert staff.generate_places(manager, dt.date(2027, 1, 4), dt.date(2027, 1, 25)) == []
    assert PlaceSlot.objects.filter(facility=fac).count() == 4


def test_capacity_below_bookings_refused(fac, manager, family):
    guardian, _, kid = family
    slot = f.place_slot(fac, day(1), capacity=3)
    f.booking(kid, slot, guardian)
    with pytest.raises(staff.StaffRefused):
        staff.set_capacity(manager, slot.pk, 0)
    slot.refresh_from_db()
    assert slot.capacity == 3
    staff.set_capacity(manager, slot.pk, 1)
    slot.refresh_from_db()
    assert slot.capacity == 1


def test_closure_on_booked_day_refused(fac, manager, family):
    guardian, _, kid = family
    f.booking(kid, f.place_slot(fac, day(2)), guardian)
    with pytest.raises(staff.StaffRefused):
        staff.add_closure(manager, day(2))
    assert not ClosureDay.objects.filter(facility=fac).exists()
    staff.add_closure(manager, day(3), "研修")
    assert ClosureDay.objects.filter(facility=fac, date=day(3)).exists()


def test_template_end_before_start_refused(fac, manager):
    with pytest.raises(staff.StaffRefused):
        staff.add_template_slot(
            manager,
            weekday=1,
            starts_at=dt.time(12),
            ends_at=dt.time(9),
            age_class=0,
            places=3,
            staff_planned=1,
        )
    assert not PlaceTemplate.objects.exists()


def test_interview_slot_end_before_start_refused(fac, worker):
    from tests.facilities.conftest import at

    with pytest.raises(staff.StaffRefused):
        staff.add_interview_slot(worker, at(2, 11), at(2, 10))
    slot = staff.add_interview_slot(worker, at(2, 10), at(2, 11))
    staff.delete_interview_slot(worker, slot.pk)


def test_ratio_warning(fac, manager):
    ratios = staff.ratios_for(fac, day(0))
    t = PlaceTemplate.objects.create(
        facility=fac,
        weekday=day(1).isoweekday(),
        starts_at=dt.time(9),
        ends_at=dt.time(12),
        age_class=0,
        places=int(ratios[0]) + 1,
        staff_planned=1,
    )
    overview = staff.places_overview(manager)
    assert overview.template[0].warning
    t.staff_planned = 2
    t.save()
    assert not staff.places_overview(manager).template[0].warning
    f.place_slot(fac, day(1), age_class=0, capacity=int(ratios[0]) * 2 + 1, starts_at=dt.time(9))
    assert staff.day_places(manager, day(1)).slots[0].warning


def test_profile_update_audited(client, fac, manager, django_capture_on_commit_callbacks):
    c = _client(client, manager)
    data = {
        "facility_type": "general",
        "fee_per_hour": 350,
        "meal_fee": 300,
        "snack_fee": 100,
        "opens_at": "08:30",
        "closes_at": "17:00",
        "what_to_bring": "着替え",
        "access": "駅から5分",
        "accepts_class_1": "on",
        "offers_flexible": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(reverse("facilities:staff_profile"), data).status_code == 302
    fac.refresh_from_db()
    assert fac.fee_per_hour == 350 and not fac.accepts_class_0
    assert AuditEvent.objects.filter(object_type__icontains="facility", action="update").exists()
    bad = data | {"closes_at": "08:00"}
    c.post(reverse("facilities:staff_profile"), bad)
    fac.refresh_from_db()
    assert fac.closes_at == dt.time(17)


def test_the_profile_keeps_the_wards_rules(fac, manager):
    """The manager's profile is checked like the ward's register: no facility without an age
    class or a use, nothing saved when refused."""
    with pytest.raises(staff.StaffRefused) as refused:
        staff.update_profile(
            manager,
            {"accepts_class_0": False, "accepts_class_1": False, "accepts_class_2": False,
             "offers_regular": False, "offers_flexible": False},
        )  # fmt: skip
    assert len(refused.value.messages) == 2
    fac.refresh_from_db()
    assert fac.accepts_class_0 and fac.offers_flexible


def test_invitation_flow(client, fac, manager, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invited = staff.invite_staff(manager, "new.staff@example.jp", Role.FACILITY_STAFF)
    invitation = StaffInvitation.objects.get()
    assert invitation.token_hash != invited.token and len(invitation.token_hash) == 64
    [(_, _, body)] = [mail for mail in queued_mail() if mail[0] == "new.staff@example.jp"]
    assert dates.date_text(invitation.expires_at) in body  # the link's last day is named
    url = reverse("facilities:staff_invite_accept", args=[invited.token])
    assert client.get(url).status_code == 200
    r = client.post(url, {"full_name": "新人", "password": "a-long-pass-phrase-42"})
    assert r.status_code == 302
    new = User.objects.get(email="new.staff@example.jp")
    assert new.facility_id == fac.pk and new.role == Role.FACILITY_STAFF
    # one use only
    page = client.get(url)
    assert "already been used" in page.content.decode() or page.status_code == 200
    with pytest.raises(staff.StaffRefused):
        staff.accept_invitation(invited.token, "another-long-pass-99")
    # the manager deactivates the account
    staff.set_active(manager, new.pk, False)
    new.refresh_from_db()
    assert not new.is_active


def test_invitation_expires(fac, manager):
    from tsuen.core import clock

    invited = staff.invite_staff(manager, "late@example.jp", Role.FACILITY_STAFF)
    with clock.frozen(clock.now() + dt.timedelta(days=8)), pytest.raises(staff.StaffRefused):
        staff.accept_invitation(invited.token, "a-long-pass-phrase-42")
    assert not User.objects.filter(email="late@example.jp").exists()


def test_interview_with_requests_cannot_be_deleted(fac, worker, family):
    from tests.facilities.conftest import at

    guardian, _, kid = family
    slot = staff.add_interview_slot(worker, at(2, 10), at(2, 11))
    Interview.objects.create(facility=fac, slot=slot, child=kid, requested_by=guardian)
    with pytest.raises(staff.StaffRefused):
        staff.delete_interview_slot(worker, slot.pk)


def test_removing_a_template_row_asks_first(client, fac, manager):
    """The row's button shows what removing it does (slots already made from today on stay)
    and removes nothing; the service refuses without the token; the confirmation removes."""
    from django.core.exceptions import ValidationError

    from tsuen.core import clock

    row = PlaceTemplate.objects.create(
        facility=fac, weekday=2, starts_at=dt.time(9), ends_at=dt.time(12), age_class=1, places=3
    )
    with clock.frozen(dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=9)))):
        f.place_slot(fac, dt.date(2026, 12, 8), age_class=1, starts_at=dt.time(9))  # a Tuesday
        with pytest.raises(ValidationError):
            staff.delete_template_slot(manager, row.pk)
        c = _client(client, manager)
        url = reverse("facilities:staff_places")
        check = c.post(url, {"action": "delete", "template": str(row.pk)})
        assert check.status_code == 200
        effects = check.context["effects"]
        assert effects.future_slots == 1
        assert PlaceTemplate.objects.filter(pk=row.pk).exists()
        stale = c.post(url, {"action": "delete", "template": str(row.pk), "confirm": "x"})
        assert stale.status_code == 400 and PlaceTemplate.objects.filter(pk=row.pk).exists()
        done = c.post(url, {"action": "delete", "template": str(row.pk), "confirm": effects.token})
    assert done.status_code == 302
    assert not PlaceTemplate.objects.filter(pk=row.pk).exists()
    assert PlaceSlot.objects.filter(date=dt.date(2026, 12, 8)).exists()
