"""The facility's day in the room: check-in, check-out with real times, no-shows, undo,
cancelling a day, daily records, the day screen's reads and queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tests.attendance.conftest import VISIT_DAY, Visit
from tests.booking.scene import set_policy
from tsuen import rules
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance import services_staff as staff_services
from tsuen.attendance.models import Attendance, AttendanceStatus, DailyRecord, RecordStatus
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import BookingStatus
from tsuen.core import clock, tenancy
from tsuen.families.models import EmergencyContact

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(9 * 60)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the pages and refusals in English (Japanese is the default; the
    catalogue test proves every string has its Japanese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(VISIT_DAY, dt.time(hour, minute), tzinfo=TZ)


def test_late_pick_up_bills_from_real_times(visit):
    """Booked 10:00-12:00, picked up 12:20: 140 minutes attended bill 150 (30-minute step)."""
    set_policy(visit.ward)
    with clock.frozen(at(9, 58)):
        attendance = staff_services.check_in(visit.staff, visit.booking.pk)
    assert attendance.checked_in_at == at(9, 58)
    with clock.frozen(at(12, 20)):
        attendance = staff_services.check_out(visit.staff, visit.booking.pk)
    attendance.refresh_from_db()
    assert attendance.status == AttendanceStatus.PRESENT
    assert attendance.checked_out_at == at(12, 20)
    assert attendance.billable_minutes == 150
    # Booked 10:00-12:00 (in from 10:00, not 09:58: the booked time is the floor, arrival
    # before it extends): 09:58-12:20 is 142 minutes, still 150 billed.


def test_on_time_pick_up_bills_the_booked_time(visit):
    with clock.frozen(at(10, 5)):
        staff_services.check_in(visit.staff, visit.booking.pk)
    with clock.frozen(at(11, 40)):
        attendance = staff_services.check_out(visit.staff, visit.booking.pk)
    assert attendance.billable_minutes == 120


def test_check_out_before_check_in_and_twice_refused(visit):
    with clock.frozen(at(10)), pytest.raises(ValidationError, match="not been checked in"):
        staff_services.check_out(visit.staff, visit.booking.pk)
    assert not Attendance.objects.exists()
    with clock.frozen(at(10)):
        staff_services.check_in(visit.staff, visit.booking.pk)
    with clock.frozen(at(10, 1)), pytest.raises(ValidationError, match="already checked in"):
        staff_services.check_in(visit.staff, visit.booking.pk)
    with clock.frozen(at(12)):
        staff_services.check_out(visit.staff, visit.booking.pk)
    with clock.frozen(at(12, 5)), pytest.raises(ValidationError, match="already checked out"):
        staff_services.check_out(visit.staff, visit.booking.pk)
    assert Attendance.objects.get().checked_out_at == at(12)


def test_check_in_on_another_day_refused(visit):
    with clock.frozen(at(10) - dt.timedelta(days=1)), pytest.raises(ValidationError):
        staff_services.check_in(visit.staff, visit.booking.pk)
    assert not Attendance.objects.exists()


def test_no_show_clears_caps_when_policy_says_so(visit):
    policy = dataclasses.replace(rules.national_default_policy(2026), no_show_counts=False)
    set_policy(visit.ward, policy)
    with clock.frozen(at(11)):
        attendance = staff_services.mark_no_show(visit.staff, visit.booking.pk)
    assert attendance.status == AttendanceStatus.NO_SHOW
    visit.booking.refresh_from_db()
    assert visit.booking.counts_toward_caps is False
    with clock.frozen(at(11, 1)), pytest.raises(ValidationError, match="not come"):
        staff_services.check_in(visit.staff, visit.booking.pk)
    # Undo within minutes restores the count.
    with clock.frozen(at(11, 3)):
        assert staff_services.undo(visit.staff, visit.booking.pk) is None
    visit.booking.refresh_from_db()
    assert visit.booking.counts_toward_caps is True
    assert not Attendance.objects.exists()


def test_no_show_keeps_counting_by_default(visit):
    set_policy(visit.ward)
    with clock.frozen(at(11)):
        staff_services.mark_no_show(visit.staff, visit.booking.pk)
    visit.booking.refresh_from_db()
    assert visit.booking.counts_toward_caps is True


def test_undo_window(visit):
    with clock.frozen(at(10)):
        staff_services.check_in(visit.staff, visit.booking.pk)
    with clock.frozen(at(12)):
        staff_services.check_out(visit.staff, visit.booking.pk)
    with clock.frozen(at(12, 2)):
        attendance = staff_services.undo(visit.staff, visit.booking.pk)
    assert attendance.checked_out_at is None and attendance.billable_minutes is None
    with clock.frozen(at(12, 30)), pytest.raises(ValidationError, match="only"):
        staff_services.undo(visit.staff, visit.booking.pk)


def test_other_facility_gets_404(visit):
    f.second_factor(visit.other_staff)
    with clock.frozen(at(10)):
        for action in (
            staff_services.check_in,
            staff_services.check_out,
            staff_services.mark_no_show,
            staff_services.record_page,
        ):
            with pytest.raises(Http404):
                action(visit.other_staff, visit.booking.pk)
    assert not Attendance.objects.exists()
    assert visit.booking.pk not in [
        v.booking.pk
        for s in staff_services.day_for(visit.other_staff, VISIT_DAY).slots
        for v in s.visits
    ]
    with pytest.raises(Http404):
        staff_services.day_for(visit.guardian, VISIT_DAY)


def test_check_in_is_audited(visit, django_capture_on_commit_callbacks):
    with clock.frozen(at(10)), django_capture_on_commit_callbacks(execute=True):
        staff_services.check_in(visit.staff, visit.booking.pk)
    assert AuditEvent.objects.filter(action="create").exists()


@pytest.mark.django_db(transaction=True)
def test_cancel_day_returns_hours_and_tells_families():
    with tenancy.cross_tenant("test"):
        visit = Visit()
        other = f.family(visit.ward, given_name="二葉")
        f.booking(other[2], visit.slot, other[0], start=dt.time(13), end=dt.time(15))
        mail.outbox.clear()
        with clock.frozen(at(8)):
            with pytest.raises(ValidationError):
                staff_services.cancel_day(visit.staff, VISIT_DAY, "  ")
            effects = staff_services.cancel_day_effects(
                visit.staff, VISIT_DAY, None, "感染症のため休園"
            )
            assert (effects.bookings, effects.families) == (2, 2)
            # Without the confirmation nothing is cancelled.
            with pytest.raises(ValidationError) as refused:
                staff_services.cancel_day(visit.staff, VISIT_DAY, "感染症のため休園")
            assert refused.value.code == "not_confirmed"
            assert (
                visit.booking.__class__.objects.filter(
                    status=BookingStatus.CANCELLED_BY_FACILITY
                ).count()
                == 0
            )
            count = staff_services.cancel_day(
                visit.staff, VISIT_DAY, "感染症のため休園", confirm_token=effects.token
            )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert count == 2
    with tenancy.cross_tenant("test"):
        visit.booking.refresh_from_db()
    assert visit.booking.status == BookingStatus.CANCELLED_BY_FACILITY
    assert visit.booking.counts_toward_caps is False
    assert len(mail.outbox) == 2
    assert "感染症のため休園" in mail.outbox[0].body


def test_cancel_day_view_asks_first(client, visit, django_capture_on_commit_callbacks):
    """The form's post shows what will happen and cancels nothing; the confirmation cancels."""
    form = {"date": VISIT_DAY.isoformat(), "place_slot": str(visit.slot.pk), "reason": "休園"}
    with clock.frozen(at(8)), django_capture_on_commit_callbacks(execute=True):
        login_with_second_factor(client, visit.staff)
        response = client.post(reverse("attendance:staff_cancel_day"), form)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Confirm the cancellation" in page
        assert 'data-testid="effect-bookings">1<' in page
        assert 'data-testid="effect-families">1<' in page
        visit.booking.refresh_from_db()
        assert visit.booking.status == BookingStatus.CONFIRMED
        token = response.context["effects"].token
        # A stale token (the effects changed since they were shown) is refused: 400.
        response = client.post(reverse("attendance:staff_cancel_day"), form | {"confirm": "x"})
        assert response.status_code == 400
        assert "Something changed" in response.content.decode()
        visit.booking.refresh_from_db()
        assert visit.booking.status == BookingStatus.CONFIRMED
        response = client.post(
            reverse("attendance:staff_cancel_day"), form | {"confirm": token}, follow=True
        )
    assert response.status_code == 200
    assert "1 bookings cancelled" in response.content.decode()
    visit.booking.refresh_from_db()
    assert visit.booking.status == BookingStatus.CANCELLED_BY_FACILITY


def test_cancel_day_refused_when_a_booking_was_added_after_the_check():
    with tenancy.cross_tenant("test"):
        visit = Visit()
        with clock.frozen(at(8)):
            effects = staff_services.cancel_day_effects(visit.staff, VISIT_DAY, None, "休園")
            other = f.family(visit.ward, given_name="二葉")
            f.booking(other[2], visit.slot, other[0], start=dt.time(13), end=dt.time(15))
            with pytest.raises(ValidationError) as refused:
                staff_services.cancel_day(
                    visit.staff, VISIT_DAY, "休園", confirm_token=effects.token
                )
        assert refused.value.code == "changed"
        visit.booking.refresh_from_db()
        assert visit.booking.status == BookingStatus.CONFIRMED


def test_day_screen_shows_care_not_fee_class_and_is_audited(
    client, visit, django_capture_on_commit_callbacks
):
    visit.child.allergies = ["卵"]
    visit.child.medical_care = True
    visit.child.save()
    EmergencyContact.objects.create(
        child=visit.child, name="試験 花子", relation="母", phone="090-1111-2222"
    )
    before = AuditEvent.objects.count()
    with clock.frozen(at(9)), django_capture_on_commit_callbacks(execute=True):
        login_with_second_factor(client, visit.staff)
        response = client.get(reverse("attendance:staff_day"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "一花" in body and "卵" in body and 'href="tel:090-1111-2222"' in body
    assert AuditEvent.objects.count() > before


def _children(visit, n):
    for i in range(n):
        _u, _h, kid = f.family(visit.ward, given_name=f"子{i}")
        EmergencyContact.objects.create(child=kid, name="親", relation="母", phone="03-0000")
        f.booking(kid, visit.slot, visit.guardian)


@pytest.mark.parametrize("n", [3, 12])
def test_day_screen_queries_do_not_grow(client, visit, n, django_assert_max_num_queries):
    visit.slot.capacity = 20
    visit.slot.save()
    _children(visit, n)
    with clock.frozen(at(9)):
        login_with_second_factor(client, visit.staff)  # (its login event is not the screen's)
    # 10, and the screen's 3 audit events, each one INSERT in the request (no chain lock).
    with clock.frozen(at(9)), django_assert_max_num_queries(13):
        response = client.get(reverse("attendance:staff_day"))
    assert response.content.decode().count('class="day-card state-') == n + 1


def test_tap_view_refuses_with_a_message(client, visit):
    url = reverse("attendance:staff_tap", args=[visit.booking.pk])
    with clock.frozen(at(10)):
        login_with_second_factor(client, visit.staff)
        response = client.post(url, {"action": "check_out"}, follow=True)
    assert "not been checked in" in response.content.decode()
    with clock.frozen(at(10)):
        client.post(url, {"action": "check_in"})
    assert Attendance.objects.get().checked_in_at == at(10)


def test_daily_record_draft_then_publish(client, visit):
    url = reverse("attendance:staff_record", args=[visit.booking.pk])
    with clock.frozen(at(11)):
        login_with_second_factor(client, visit.staff)
        assert client.get(url).status_code == 200
        client.post(
            url,
            {
                "meals": "完食",
                "nap": "",
                "mood": "ご機嫌",
                "toileting": "",
                "temperature": "36.6",
                "notes": "積み木",
                "publish": "0",
            },
        )
        assert DailyRecord.objects.get().status == RecordStatus.DRAFT
        response = client.post(
            url,
            {
                "meals": "完食",
                "nap": "30分",
                "mood": "ご機嫌",
                "toileting": "",
                "temperature": "50",
                "notes": "",
                "publish": "1",
            },
        )
        assert response.status_code == 400  # refused: out-of-range temperature
        assert DailyRecord.objects.get().status == RecordStatus.DRAFT
        client.post(
            url,
            {
                "meals": "完食",
                "nap": "30分",
                "mood": "ご機嫌",
                "toileting": "",
                "temperature": "36.6",
                "notes": "積み木",
                "publish": "1",
            },
        )
    daily = DailyRecord.objects.get()
    assert daily.status == RecordStatus.PUBLISHED and daily.nap == "30分"


def test_daily_record_of_another_facility_is_404(client, visit):
    f.second_factor(visit.other_staff)
    url = reverse("attendance:staff_record", args=[visit.booking.pk])
    with clock.frozen(at(11)):
        login_with_second_factor(client, visit.other_staff)
        assert client.get(url).status_code == 404
        assert client.post(url, {"meals": "x", "publish": "1"}).status_code == 404
    assert not DailyRecord.objects.exists()
