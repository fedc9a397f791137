"""A day in the room on a tablet: check in three children, mark one as not come, check one out
late, write and publish a daily record; axe-core (WCAG 2.1 A/AA) on every page visited."""

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance, AttendanceStatus, DailyRecord, RecordStatus
from tsuen.core import clock, tenancy
from tsuen.families.models import EmergencyContact

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
NAMES = ("一花", "二葉", "三太", "四季")


def _tap(page, label):
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


JST = ZoneInfo("Asia/Tokyo")
DAY = dt.date(2026, 6, 10)  # a Wednesday


@pytest.fixture
def wall_clock():
    """Sets the time for the test and for the live server's thread (whatever the real time)."""
    with contextlib.ExitStack() as stack:

        def set_to(hour: int, minute: int) -> None:
            at = dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=JST)
            stack.enter_context(clock.frozen(at, all_threads=True))

        yield set_to


def test_a_day_in_the_room_on_a_tablet(tablet, live_server, wall_clock):
    # Visits booked 13:00-14:00; the children come at 13:50 and one is picked up at 14:20.
    wall_clock(13, 50)
    start, end = dt.time(13), dt.time(14)
    now = timezone.localtime(clock.now())
    with tenancy.cross_tenant("test set-up"):
        ward = f.municipality()
        facility = f.facility(ward)
        slot = f.place_slot(
            facility, now.date(), capacity=6, starts_at=dt.time(0), ends_at=dt.time(23)
        )
        reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
        bookings = {}
        for name in NAMES:
            guardian, _h, kid = f.family(
                ward, given_name=name, allergies=["卵"] if name == "一花" else []
            )
            # Certified: the room sees a child's care needs only while the certification is
            # active (issue 9 item 7).
            f.certification(
                kid,
                reviewer,
                valid_from=now.date() - dt.timedelta(days=30),
                valid_to=now.date() + dt.timedelta(days=300),
            )
            EmergencyContact.objects.create(
                child=kid, name="試験 花子", relation="母", phone="0311112222"
            )
            bookings[name] = f.booking(kid, slot, guardian, start=start, end=end)
        staff = f.user(Role.FACILITY_STAFF, facility=facility, language="en")
        f.second_factor(staff)
    log_in(tablet, staff, live_server, language="en")

    tablet.goto("/visits/staff/day/")
    assert tablet.locator('a[href="tel:0311112222"]').count() == 4
    check_accessibility(tablet)
    for name in NAMES[:3]:
        _tap(tablet, f"Check in {name}")
    _tap(tablet, f"{NAMES[3]} did not come")
    check_accessibility(tablet)
    wall_clock(14, 20)
    _tap(tablet, f"Check out {NAMES[0]}")
    assert "billable minutes" in tablet.content()
    check_accessibility(tablet)

    tablet.locator(f"#visit-{bookings[NAMES[1]].pk} a.button-link").click()
    tablet.wait_for_load_state()
    check_accessibility(tablet)
    tablet.fill("#id_meals", "完食")
    tablet.fill("#id_mood", "ご機嫌")
    tablet.fill("#id_temperature", "36.6")
    tablet.fill("#id_notes", "積み木で遊びました。")
    _tap(tablet, "Publish to the guardian")
    check_accessibility(tablet)

    with tenancy.cross_tenant("test check"):
        states = {n: Attendance.objects.filter(booking=b).first() for n, b in bookings.items()}
        assert all(states[n].status == AttendanceStatus.PRESENT for n in NAMES[:3])
        assert states[NAMES[3]].status == AttendanceStatus.NO_SHOW
        late = states[NAMES[0]]
        assert late.checked_out_at > bookings[NAMES[0]].ends_at
        # In after the booked start counts from the booked start; out 20 minutes late: 80
        # minutes, rounded up to the policy's 30-minute step.
        assert late.billable_minutes == 90
        daily = DailyRecord.objects.get(booking=bookings[NAMES[1]])
        assert daily.status == RecordStatus.PUBLISHED and daily.meals == "完食"
