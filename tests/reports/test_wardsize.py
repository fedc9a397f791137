"""Issue 5: "Dashboard and queue pages have pinned query counts with a ward's worth of data
(200 children, 30 facilities, a year of visits)". The counts are pinned at a measured number
plus a small margin, and shown not to grow from a small ward to a full one."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse

from tests import factories as f
from tests import wardsize
from tests.reports.conftest import TODAY, logged_in
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance
from tsuen.booking.models import Booking

pytestmark = pytest.mark.django_db

#: Measured on PostgreSQL and SQLite: 20 queries for a case worker (session, user, second
#: factor, the figures, the two person lists, the audit trail), 16 for the auditor (no lists);
#: pinned with a margin of 3.
DASHBOARD_QUERIES = {Role.MUNICIPAL_ADMIN: 23, Role.AUDITOR: 19}
#: Measured: 9 queries for the queue's first page; margin of 3.
QUEUE_QUERIES = 12


def test_the_builder_makes_a_ward_worth_of_data_in_a_few_seconds():
    started = time.monotonic()
    ward = wardsize.build(TODAY.date())
    took = time.monotonic() - started
    assert len(ward.children) == 200 and len(ward.facilities) == 30
    assert Booking.objects.filter(facility__municipality=ward.municipality).count() > 4000
    assert Attendance.objects.filter(status="present").count() == ward.attended > 3500
    assert took < 30, f"the ward-size builder took {took:.1f}s"


def _staff(ward, role):
    account = f.user(role, municipality=ward)
    f.second_factor(account)
    return account


@pytest.mark.parametrize("role", [Role.MUNICIPAL_ADMIN, Role.AUDITOR])
def test_the_dashboard_query_count_is_pinned_and_does_not_grow(
    client, role, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    ward = f.municipality(name="規模区")
    wardsize.build(TODAY.date(), children=10, facilities=2, days=40, waiting=2, municipality=ward)
    logged_in(client, _staff(ward, role))
    url = reverse("reports:dashboard")
    with django_assert_max_num_queries(DASHBOARD_QUERIES[role]) as small:
        assert client.get(url).status_code == 200
    wardsize.build(TODAY.date(), municipality=ward)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(url, {"month": "2026-04", "sort": "filled"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<th scope="row">規模保育園') == 32
    if role == Role.MUNICIPAL_ADMIN:
        assert page.count("<td>WS") >= 10  # the never-came children of both builds
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_queue_query_count_is_pinned_with_a_ward_of_data(client, django_assert_max_num_queries):
    ward = f.municipality(name="規模区")
    wardsize.build(TODAY.date(), children=10, facilities=2, days=40, waiting=3, municipality=ward)
    logged_in(client, _staff(ward, Role.MUNICIPAL_REVIEWER))
    url = reverse("certification:staff_queue")
    with django_assert_max_num_queries(QUEUE_QUERIES) as small:
        assert client.get(url).status_code == 200
    wardsize.build(TODAY.date(), municipality=ward)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "23 applications waiting" in response.content.decode()


def test_the_trend_of_a_full_ward(client):
    ward = wardsize.build(TODAY.date())
    admin = _staff(ward.municipality, Role.MUNICIPAL_ADMIN)
    from tsuen.core import tenancy
    from tsuen.reports import services

    with tenancy.tenant(ward.municipality.pk):
        board = services.dashboard(admin)
    assert (
        sum(m.visits for m in board.trend)
        == Attendance.objects.filter(
            status="present", booking__date__gte=dt.date(2025, 6, 1)
        ).count()
    )
    assert board.certified_children == 200
    assert board.waiting.total == 20
