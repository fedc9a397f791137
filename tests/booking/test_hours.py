"""The hours page: used and remaining hours per cap and funding bucket, this month and this
fiscal year, and the visits behind them; reads audited; query count flat in history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.booking.scene import NOW, scene, set_policy
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.booking import hours
from tsuen.booking.models import Booking, BookingKind, BookingStatus
from tsuen.core import clock

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 12, 15)
HOUR = 60
#: Session, user, children, policy, bookings and a few more: pinned, whatever the history.
MAX_PAGE_QUERIES = 12

SETAGAYA_LIKE = rules.Policy(
    2026,
    caps=(rules.Cap("month", 48 * HOUR),),
    buckets=(
        rules.FundingBucket("national", "month", 10 * HOUR, national=True),
        rules.FundingBucket("ward", "month", 38 * HOUR, national=False),
    ),
)
SHINJUKU_LIKE = rules.Policy(
    2026,
    caps=(rules.Cap("fiscal_year", 160 * HOUR),),
    buckets=(
        rules.FundingBucket("national", "month", 10 * HOUR, national=True),
        rules.FundingBucket("tokyo", "fiscal_year", None, national=False),
    ),
)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def visit(s, day: dt.date, start=dt.time(10), end=dt.time(12), **kw):
    slot = f.place_slot(s.facility, day, age_class=s.slot.age_class, capacity=5)
    return f.booking(s.child, slot, s.user, start=start, end=end, **kw)


def test_national_default_month_and_year():
    s = scene()
    visit(s, dt.date(2026, 12, 1))  # 2 h
    visit(s, dt.date(2026, 12, 20), end=dt.time(13, 30))  # 3.5 h, booked ahead: counts
    visit(s, dt.date(2026, 11, 5))  # 2 h, an earlier month of the fiscal year
    visit(s, dt.date(2026, 3, 5))  # FY2025: not counted
    summary = hours.summary(s.user, s.child.pk, ON)
    [cap] = summary.caps
    assert (cap.limit_minutes, cap.used_minutes, cap.remaining_minutes) == (600, 330, 270)
    assert (cap.month_minutes, cap.fiscal_year_minutes) == (330, 450)
    assert (cap.used_hours, cap.remaining_hours, cap.fiscal_year_hours) == ("5.5", "4.5", "7.5")
    [bucket] = summary.buckets
    assert (bucket.payer, bucket.used_minutes, bucket.fiscal_year_minutes) == ("national", 330, 450)
    assert summary.month_hours == "5.5"
    assert len(summary.month_visits) == 2 and len(summary.fiscal_year_visits) == 3


def test_buckets_fill_in_order():
    s = scene(policy=SETAGAYA_LIKE)
    for day in (1, 2, 3, 4, 7, 8):
        visit(s, dt.date(2026, 12, day), start=dt.time(9), end=dt.time(12))  # 6 x 3 h = 18 h
    summary = hours.summary(s.user, s.child.pk, ON)
    national, ward = summary.buckets
    assert (national.used_minutes, national.remaining_minutes) == (600, 0)
    assert (ward.used_minutes, ward.remaining_minutes) == (480, 1800)
    assert summary.caps[0].remaining_minutes == 30 * HOUR
    # The visit that crossed from one payer to the next shows both.
    crossing = summary.month_visits[3]
    assert crossing.shares == (("national", 60), ("ward", 120))


def test_a_fiscal_year_cap_and_an_unlimited_bucket():
    s = scene(policy=SHINJUKU_LIKE)
    visit(s, dt.date(2026, 4, 10), start=dt.time(9), end=dt.time(17))  # 8 h
    visit(s, dt.date(2026, 12, 1), start=dt.time(9), end=dt.time(16))  # 7 h
    summary = hours.summary(s.user, s.child.pk, ON)
    [cap] = summary.caps
    assert (cap.period, cap.used_minutes, cap.remaining_minutes) == ("fiscal_year", 900, 8700)
    assert cap.month_minutes == 420
    national, tokyo = summary.buckets
    assert (national.used_minutes, national.fiscal_year_minutes) == (420, 900)
    assert tokyo.remaining_minutes is None and tokyo.limit_hours == ""
    assert tokyo.fiscal_year_minutes == 0


def test_cancellations_count_only_when_marked():
    s = scene()
    visit(s, dt.date(2026, 12, 1), status=BookingStatus.CANCELLED, counts_toward_caps=False)
    visit(s, dt.date(2026, 12, 2), status=BookingStatus.LATE_CANCELLED)
    visit(
        s,
        dt.date(2026, 12, 3),
        status=BookingStatus.LATE_CANCELLED,
        counts_toward_caps=False,
    )
    visit(s, dt.date(2026, 12, 4), status=BookingStatus.CANCELLED_BY_FACILITY)
    summary = hours.summary(s.user, s.child.pk, ON)
    assert summary.caps[0].used_minutes == 120
    [line] = summary.month_visits
    assert line.counted_as == "late_cancelled"


def test_no_policy_says_so_instead_of_guessing():
    s = scene()
    summary = hours.summary(s.user, s.child.pk, dt.date(2027, 6, 1))  # FY2027 not set
    assert summary.policy_missing and summary.caps == ()


def test_who_may_read_a_childs_hours():
    s = scene()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=s.muni)
    assert hours.summary(reviewer, s.child.pk, ON).child == s.child
    for outsider in (
        s.another_family().user,
        f.user(Role.FACILITY_STAFF, facility=s.facility),
        f.user(Role.MUNICIPAL_REVIEWER, municipality=f.municipality()),
        f.user(Role.AUDITOR, municipality=s.muni),
    ):
        with pytest.raises(Http404):
            hours.summary(outsider, s.child.pk, ON)
    with pytest.raises(Http404):
        hours.summaries_for(reviewer, ON)  # the family page is the family's only


def test_reads_are_audited(django_capture_on_commit_callbacks):
    s = scene()
    booking = visit(s, dt.date(2026, 12, 1))
    with django_capture_on_commit_callbacks(execute=True):
        hours.summary(s.user, s.child.pk, ON)
    events = [e for e in AuditEvent.objects.all() if s.child.pk in e.subject_child_ids]
    assert {(e.object_type, e.action) for e in events} == {
        ("families.child", "read"),
        ("booking.booking", "list"),
    }
    assert str(booking.pk) in {e.object_id for e in events}


def test_the_page_shows_every_child_in_hours(client, django_capture_on_commit_callbacks):
    s = scene()
    sibling = f.child(s.fam.household, given_name="次郎", birth_date=s.child.birth_date)
    visit(s, dt.date(2026, 12, 1), end=dt.time(13, 30))
    client.force_login(s.user)
    with django_capture_on_commit_callbacks(execute=True):
        body = client.get(reverse("booking:hours")).content.decode()
    assert s.child.full_name in body and sibling.full_name in body
    assert "3.5" in body and "6.5" in body  # used and left of 10 hours
    assert s.facility.name in body


def _history(s, count: int) -> None:
    """``count`` two-hour visits of the child, every other day from 1 April."""
    slot = f.place_slot(s.facility, dt.date(2026, 4, 1), age_class=s.slot.age_class, capacity=1)
    tz = timezone.get_current_timezone()
    days = [dt.date(2026, 4, 1) + dt.timedelta(days=2 * i) for i in range(count)]
    Booking.objects.bulk_create(
        Booking(
            child=s.child,
            facility=s.facility,
            place_slot=slot,
            date=day,
            starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=tz),
            ends_at=dt.datetime.combine(day, dt.time(12), tzinfo=tz),
            kind=BookingKind.FLEXIBLE,
            billable_minutes=120,
            booked_by=s.user,
        )
        for day in days
    )


def _page_queries(client, count: int) -> int:
    s = scene()
    _history(s, count)
    client.force_login(s.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("booking:hours")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [10, 100])
def test_the_page_query_count_is_pinned(client, count, django_assert_max_num_queries):
    s = scene()
    _history(s, count)
    client.force_login(s.user)
    with django_assert_max_num_queries(MAX_PAGE_QUERIES):
        assert client.get(reverse("booking:hours")).status_code == 200


def test_the_page_query_count_does_not_grow_with_history(client):
    assert _page_queries(client, 10) == _page_queries(client, 100)


def test_hours_text():
    assert [hours.hours_text(m) for m in (0, 60, 90, 450, 600, None)] == [
        "0",
        "1",
        "1.5",
        "7.5",
        "10",
        "",
    ]


def test_hours_follow_the_policy_in_force():
    s = scene()
    set_policy(s.muni, SETAGAYA_LIKE)
    assert hours.summary(s.user, s.child.pk, ON).caps[0].limit_minutes == 48 * HOUR
