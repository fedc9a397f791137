"""Issue 10, phantom billing: ONE visit walked through the hours page, the family's statement
and the claim, which must agree on its minutes and yen -- including a check-in and check-out
tapped at 14:41 for a 10:00-12:00 booking (once billed 300 minutes), and after staff correct
the visit's times (allowed until the month's claim is submitted)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tests.billing import scene as s
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance import services_staff as room
from tsuen.attendance.models import Attendance
from tsuen.audit.models import AuditEvent
from tsuen.billing import services as billing
from tsuen.booking import hours
from tsuen.core import clock

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 10)  # a Tuesday
JST = s.JST


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=JST)


def _submit(manager, claim_id):
    """Submit the claim as its confirmation page does (w-confirm: with the effects' token)."""
    token = billing.submit_effects(manager, claim_id).token
    return billing.submit_claim(manager, claim_id, confirm_token=token)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


class OneVisit:
    """A national-default ward, a facility (300 yen an hour, open 08:00-18:00), a certified
    child booked 10:00-12:00 on DAY."""

    def __init__(self):
        self.ward = s.ward(rules.national_default_policy(2026))
        self.guardian, self.household, self.child = f.family(
            self.ward, birth_date=dt.date(2025, 1, 15)
        )
        f.certification(
            self.child,
            f.user(Role.MUNICIPAL_REVIEWER, municipality=self.ward),
            valid_from=dt.date(2026, 4, 1),
            valid_to=dt.date(2027, 3, 31),
        )
        self.facility = f.facility(
            self.ward, fee_per_hour=300, opens_at=dt.time(8), closes_at=dt.time(18)
        )
        age_class = rules.age_class(self.child.birth_date, 2026)
        slot = f.place_slot(self.facility, DAY, age_class=age_class, capacity=5)
        self.booking = f.booking(self.child, slot, self.guardian)
        self.staff = f.user(Role.FACILITY_STAFF, facility=self.facility)
        f.second_factor(self.staff)
        self.manager = s.manager_of(self.facility)
        self.rate = rules.national_rates(2026).base_per_hour[age_class]

    def everywhere(self) -> dict:
        """The visit's minutes and yen on the hours page, the statement and the claim (a draft
        generated on 1 December), each read through its own service."""
        with clock.frozen(at(9, day=dt.date(2026, 11, 30))):
            [line] = hours.summary(self.guardian, self.child.pk).month_visits
            statement = billing.statement(self.guardian, 2026, 11)
        [part] = statement.facilities
        [stated] = part.visits
        with clock.frozen(s.NOW):
            [claim] = billing.generate_claims(self.manager, 2026, 11)
        [claimed] = claim.lines.all()
        return {
            "hours": line.minutes,
            "statement": stated.billable_minutes,
            "claim": claimed.billable_minutes,
            "fee statement": stated.fee_gross,
            "fee claim": claimed.fee_gross,
            "benefit statement": stated.benefit,
            "benefit claim": claim.total_benefit,
        }

    def agree(self, minutes: int) -> None:
        seen = self.everywhere()
        assert {seen["hours"], seen["statement"], seen["claim"]} == {minutes}, seen
        fee = rules.pro_rata(300, minutes)
        assert seen["fee statement"] == seen["fee claim"] == fee, seen
        benefit = rules.pro_rata(self.rate, minutes)
        assert seen["benefit statement"] == seen["benefit claim"] == benefit, seen


@pytest.fixture
def one(db):
    return OneVisit()


def test_the_1441_taps_bill_the_booking_everywhere_and_a_correction_follows(
    one, django_capture_on_commit_callbacks
):
    # Tapped in at 14:41, long after the booked end: a warning, nothing recorded without a
    # reason.
    with clock.frozen(at(14, 41)), pytest.raises(room.ReasonNeeded) as needed:
        room.check_in(one.staff, one.booking.pk)
    assert "after the booked end" in " ".join(needed.value.warnings)
    assert not Attendance.objects.exists()
    with clock.frozen(at(14, 41)):
        room.check_in(one.staff, one.booking.pk, reason="登園時刻の入力漏れ")
    with clock.frozen(at(14, 41, 40)):
        attendance = room.check_out(one.staff, one.booking.pk)
    assert attendance.billable_minutes == 120  # was 300: 10:00 to 14:41 rounded up
    one.agree(120)  # 2 hours, ¥600 to the family, 120 minutes of benefit: everywhere

    # The real times were 10:00-12:40: staff correct them with a reason; all three follow.
    with clock.frozen(at(16)), django_capture_on_commit_callbacks(execute=True):
        room.correct_times(one.staff, one.booking.pk, at(10), at(12, 40), "入力の訂正")
    one.agree(180)
    event = AuditEvent.objects.filter(object_type="attendance.attendance").changes().latest("pk")
    assert {"checked_in_at", "checked_out_at", "times_reason"} <= set(event.field_names)

    # Once the month's claim is submitted the times stay as claimed.
    claim = billing._latest(one.facility, 2026, 11)[one.ward.pk]
    with clock.frozen(s.NOW):
        _submit(one.manager, claim.pk)
        with pytest.raises(ValidationError, match="has been submitted") as refused:
            room.correct_times(one.staff, one.booking.pk, at(10), at(12), "再訂正")
    assert "November 2026" in str(refused.value)  # the month in the reader's date style
    attendance.refresh_from_db()
    assert attendance.checked_out_at == at(12, 40) and attendance.billable_minutes == 180


def test_the_pages_show_the_same_minutes_and_yen(client, one):
    with clock.frozen(at(10)):
        room.check_in(one.staff, one.booking.pk)
    with clock.frozen(at(12, 20)):
        room.check_out(one.staff, one.booking.pk)
    one.agree(150)  # a late pick-up: 140 minutes bill 150
    client.force_login(one.guardian)
    with clock.frozen(at(9, day=dt.date(2026, 11, 30))):
        page = client.get(reverse("booking:hours")).content.decode()
        statement = client.get(reverse("billing:statement", args=[2026, 11])).content.decode()
    assert "This month (November 2026): 2.5 h" in page
    assert re.search(r'<td class="num">2 h 30 min</td>\s*<td class="num">750</td>', statement)
    claim = billing._latest(one.facility, 2026, 11)[one.ward.pk]
    with clock.frozen(s.NOW):
        login_with_second_factor(client, one.manager)
        body = client.get(reverse("billing:claim", args=[claim.pk])).content.decode()
    assert '<td class="num">150</td>' in body


@pytest.mark.parametrize(
    ("tap_in", "tap_out", "warning"),
    [
        (at(7, 30), None, "opening hours"),  # check-in before the facility opens
        (at(10), at(12, 31), "longer than the booking by more than 30 minutes"),
        (at(10), at(18, 5), "opening hours"),
    ],
)
def test_unusual_times_need_a_reason(one, tap_in, tap_out, warning):
    reason = "" if tap_out is None else "x"
    with clock.frozen(tap_in):
        if tap_out is None:
            with pytest.raises(room.ReasonNeeded) as needed:
                room.check_in(one.staff, one.booking.pk, reason=reason)
            assert warning in " ".join(needed.value.warnings)
            assert not Attendance.objects.exists()
            return
        room.check_in(one.staff, one.booking.pk)
    with clock.frozen(tap_out), pytest.raises(room.ReasonNeeded) as needed:
        room.check_out(one.staff, one.booking.pk)
    assert warning in " ".join(needed.value.warnings)
    assert Attendance.objects.get().checked_out_at is None  # nothing recorded
    with clock.frozen(tap_out):
        done = room.check_out(one.staff, one.booking.pk, reason="お迎えの遅れ")
    assert done.times_reason == "お迎えの遅れ" and done.checked_out_at == tap_out


def test_a_correction_is_checked(one):
    with clock.frozen(at(10)):
        room.check_in(one.staff, one.booking.pk)
    with clock.frozen(at(12)):
        room.check_out(one.staff, one.booking.pk)
    bad = [
        ((at(10), at(12), ""), "reason"),
        ((at(12), at(10), "x"), "after the check-in"),
        ((at(10), at(12, day=DAY + dt.timedelta(days=1)), "x"), "day of the visit"),
        ((at(10), at(12, 30), "x"), "future"),
    ]
    with clock.frozen(at(12, 10)):
        for (start, end, reason), message in bad:
            with pytest.raises(ValidationError, match=message):
                room.correct_times(one.staff, one.booking.pk, start, end, reason)
    attendance = Attendance.objects.get()
    assert attendance.checked_out_at == at(12) and attendance.billable_minutes == 120
    other = f.user(Role.FACILITY_STAFF, facility=f.facility(one.ward))
    from django.http import Http404

    with clock.frozen(at(13)), pytest.raises(Http404):
        room.correct_times(other, one.booking.pk, at(10), at(12), "x")


def test_the_tap_asks_for_the_reason_on_a_page(client, one):
    url = reverse("attendance:staff_tap", args=[one.booking.pk])
    with clock.frozen(at(14, 41)):
        login_with_second_factor(client, one.staff)
        answer = client.post(url, {"action": "check_in"})
        assert answer.status_code == 400
        body = answer.content.decode()
        assert "after the booked end" in body and 'name="reason"' in body
        assert not Attendance.objects.exists()
        assert client.post(url, {"action": "check_in", "reason": "入力漏れ"}).status_code == 302
    assert Attendance.objects.get().times_reason == "入力漏れ"


def test_the_times_page_corrects_until_the_claim_is_submitted(client, one):
    with clock.frozen(at(10)):
        room.check_in(one.staff, one.booking.pk)
    with clock.frozen(at(12)):
        room.check_out(one.staff, one.booking.pk)
    url = reverse("attendance:staff_times", args=[one.booking.pk])
    with clock.frozen(at(9, day=dt.date(2026, 11, 20))):
        login_with_second_factor(client, one.staff)
        day = client.get(reverse("attendance:staff_day") + "?date=2026-11-10").content.decode()
        assert url in day
        page = client.get(url)
        assert page.status_code == 200 and 'value="10:00"' in page.content.decode()
        refused = client.post(url, {"checked_in": "10:00", "checked_out": "13:00"})
        assert refused.status_code == 400
        done = client.post(url, {"checked_in": "10:00", "checked_out": "13:00", "reason": "訂正"})
        assert done.status_code == 302
    assert Attendance.objects.get().billable_minutes == 180
    with clock.frozen(s.NOW):
        [claim] = billing.generate_claims(one.manager, 2026, 11)
        _submit(one.manager, claim.pk)
        login_with_second_factor(client, one.staff)
        page = client.get(url)
        assert "has been submitted" in page.content.decode()
        refused = client.post(url, {"checked_in": "10:00", "checked_out": "12:00", "reason": "x"})
        assert refused.status_code == 400
        assert "has been submitted" in refused.content.decode()
    assert Attendance.objects.get().billable_minutes == 180
    assert timezone.localtime(Attendance.objects.get().checked_out_at).time() == dt.time(13)
