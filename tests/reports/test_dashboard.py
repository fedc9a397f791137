"""The ward's dashboard on a small hand-built world: exact figures, who sees which list, the
audit trail, the chart, bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.reports.conftest import logged_in, staff
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.core import tenancy
from tsuen.reports import services

pytestmark = pytest.mark.django_db
URL = "reports:dashboard"


def board_of(user, **kw):
    with tenancy.tenant(user.municipality_id):
        return services.dashboard(user, **kw)


def test_waiting_applications_and_their_ages(world):
    waiting = board_of(world["admin"]).waiting
    assert waiting.total == 7
    assert waiting.oldest_days == 31
    assert (waiting.under_7, waiting.days_7_14, waiting.days_15_30, waiting.over_30) == (2, 2, 2, 1)


def test_certified_children_count_active_certifications_of_the_ward(world):
    assert board_of(world["admin"]).certified_children == 5


def test_use_per_facility_in_may(world):
    rows = {
        r.facility.name: r for r in board_of(world["admin"], month=dt.date(2026, 5, 1)).facilities
    }
    assert set(rows) == {"一番保育園", "二番保育園"}  # ward B's facility is not listed
    f1 = rows["一番保育園"]
    assert f1.visits == 2
    assert f1.booked_minutes == 240 + 240 + 474  # the cancelled booking does not count
    assert f1.attended_minutes == 240 + 474
    assert f1.offered_place_minutes == 2 * 480 * 3
    assert f1.filled_percent == 33.1  # 954 / 2880
    assert f1.attended_hours == "11.9"
    assert rows["二番保育園"].filled_percent is None
    march = {
        r.facility.name: r for r in board_of(world["admin"], month=dt.date(2026, 3, 1)).facilities
    }
    assert march["二番保育園"].visits == 2 and march["一番保育園"].visits == 0


def test_the_facility_table_sorts(world):
    by_share = board_of(world["admin"], month=dt.date(2026, 5, 1), sort="filled").facilities
    assert [r.facility.name for r in by_share] == ["一番保育園", "二番保育園"]
    by_name = board_of(world["admin"], month=dt.date(2026, 3, 1), sort="visits").facilities
    assert by_name[0].facility.name == "二番保育園"


def test_near_cap_from_80_percent_not_79(world):
    board = board_of(world["admin"])
    listed = {n.child.pk: n for n in board.near_cap}
    assert set(listed) == {world["near"].pk}
    assert listed[world["near"].pk].percent == 80
    assert listed[world["near"].pk].used_minutes == 480
    assert board.near_cap_count == 1


def test_outreach_lists_never_came_and_61_days_not_59(world):
    outreach = {o.child.pk: o for o in board_of(world["admin"]).outreach}
    assert set(outreach) == {world["never"].pk, world["gone"].pk}
    assert outreach[world["never"].pk].last_visit is None
    assert outreach[world["gone"].pk].days_since == 61
    assert outreach[world["gone"].pk].age_class == 1
    # Not: the 59-day child, the children who came in May, the uncertified, the ended
    # certification, the other ward's never-came child.


def test_trend_over_twelve_months(world):
    trend = board_of(world["admin"]).trend
    assert (trend[0].month, trend[-1].month) == (dt.date(2025, 6, 1), dt.date(2026, 5, 1))
    by_month = {m.month: m for m in trend}
    assert by_month[dt.date(2026, 5, 1)].visits == 2
    assert by_month[dt.date(2026, 5, 1)].minutes == 714
    assert by_month[dt.date(2026, 3, 1)].visits == 2
    assert by_month[dt.date(2026, 4, 1)].new_certifications == 5
    assert sum(m.new_certifications for m in trend) == 5  # the ended one was made in 2025-05


def test_the_page_for_a_case_worker(client, world, django_capture_on_commit_callbacks):
    logged_in(client, world["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse(URL), {"month": "2026-05"})
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("近上限", "未来園", "六一日"):
        assert name in page
    for name in ("七九", "五九日", "未認定", "終了", "乙区の子", "乙区保育園"):
        assert name not in page
    assert "33.1%" in page
    listed = AuditEvent.objects.filter(action="list", object_type="families.child")
    assert {int(e.object_id) for e in listed} == {
        world["near"].pk,
        world["never"].pk,
        world["gone"].pk,
    }


def test_the_chart_is_inline_svg_with_a_bar_per_month(client, world):
    page = logged_in(client, world["admin"]).get(reverse(URL)).content.decode()
    charts = re.findall(r"<svg id=\"(trend-[a-z]+)\"[^>]*role=\"img\"", page)
    assert charts == ["trend-visits", "trend-hours", "trend-certifications"]
    assert page.count("<rect ") == 3 * 12
    assert '<title id="trend-visits-title">Visits per month</title>' in page
    assert 'id="trend-visits-desc"' in page
    assert "<script" not in page.split("<main", 1)[1]
    table = page.split('id="trend-table"', 1)[1].split("</table>", 1)[0]
    assert table.count('<th scope="row">') == 12
    assert '<th scope="row">April 2026</th><td>0</td><td>0</td><td>5</td>' in table


def test_the_auditor_sees_figures_but_no_names(client, world, django_capture_on_commit_callbacks):
    auditor = staff(Role.AUDITOR, world["ward"])
    before = AuditEvent.objects.filter(action="list").count()
    logged_in(client, auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse(URL))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="waiting-total">7<' in page
    assert 'id="near-cap-count">1<' in page
    assert 'id="trend-visits"' in page
    for name in ("近上限", "未来園", "六一日"):
        assert name not in page
    assert 'id="outreach"' not in page and 'id="near-cap"' not in page
    assert AuditEvent.objects.filter(action="list").count() == before


def test_other_ward_staff_see_only_their_own_ward(client, world):
    reviewer_b = staff(Role.MUNICIPAL_REVIEWER, world["other_ward"])
    page = logged_in(client, reviewer_b).get(reverse(URL)).content.decode()
    assert "乙区の子" in page  # ward B's certified child who never came
    for name in ("近上限", "未来園", "六一日", "一番保育園"):
        assert name not in page
    assert 'id="waiting-total">1<' in page


@pytest.mark.parametrize("role", [Role.MUNICIPAL_PAYMENTS, Role.MUNICIPAL_REVIEWER])
def test_every_case_worker_sees_the_lists(client, world, role):
    page = logged_in(client, staff(role, world["ward"])).get(reverse(URL)).content.decode()
    assert "未来園" in page


@pytest.mark.parametrize("month", ["2026-13", "yesterday", "1999-12"])
def test_a_bad_month_answers_400_with_a_message(client, world, month):
    response = logged_in(client, world["admin"]).get(reverse(URL), {"month": month})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a month as year and month" in page or "between 2000 and 2100" in page


def test_a_bad_sort_answers_400(client, world):
    response = logged_in(client, world["admin"]).get(reverse(URL), {"sort": "drop table"})
    assert response.status_code == 400


def test_the_ward_home_links_to_the_dashboard(client, world):
    page = logged_in(client, world["admin"]).get(reverse("portals:municipality")).content.decode()
    assert page.count(f'href="{reverse(URL)}"') == 2  # the nav and the home page's link
