"""National statistics: counts per municipality and prefecture, small counts suppressed, a
constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tests.billing import scene as s
from tests.matrix.rows_certification import _application
from tsuen.accounts.models import Role
from tsuen.certification.models import ApplicationStatus
from tsuen.core import clock
from tsuen.municipalities.models import Municipality
from tsuen.national import services

pytestmark = pytest.mark.django_db
URL = reverse("national:statistics")


def test_suppress():
    assert [services.suppress(n) for n in (0, 1, 4, 5, 12)] == ["< 5", "< 5", "< 5", 5, 12]


def _ward(code, prefecture, certified=0, facilities=0, visits=0, waiting=0):
    ward = Municipality.objects.create(code=code, name=f"区{code}", prefecture=prefecture)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    facility = f.facility(ward)
    for _ in range(facilities - 1):
        f.facility(ward)
    for i in range(max(certified, visits, waiting)):
        account, household, child = f.family(ward)
        if i < certified:
            f.certification(child, reviewer)
        if i < visits:  # one hour each, in October 2026 ("last month" on 26 November)
            s.visit(child, facility, dt.date(2026, 10, 5), dt.time(10), dt.time(11))
        if i < waiting:
            _application(account, household, child, ApplicationStatus.SUBMITTED)
    return ward


def _figures(stats):
    return {a.code: a.figures.shown for a in stats.prefectures + stats.municipalities}


def test_counts_per_municipality_and_prefecture_with_small_cells_suppressed(operator):
    _ward("13104", "東京都", certified=6, facilities=5, visits=5, waiting=2)
    _ward("13113", "東京都", certified=1, facilities=1, visits=3, waiting=3)
    _ward("27100", "大阪府", certified=0, facilities=2, visits=0, waiting=0)
    with clock.frozen(dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)):
        stats = services.statistics(operator)
    assert stats.month_first == dt.date(2026, 10, 1)
    figures = _figures(stats)
    assert figures["13104"] == {
        "certified": 6, "facilities": 5, "visits": 5, "hours": 5.0, "waiting": "< 5",
    }  # fmt: skip
    assert figures["13113"] == {
        "certified": "< 5", "facilities": "< 5", "visits": "< 5", "hours": "< 5", "waiting": "< 5",
    }  # fmt: skip
    # The prefecture adds its municipalities before suppressing.
    assert figures["13"] == {
        "certified": 7, "facilities": 6, "visits": 8, "hours": 8.0, "waiting": 5,
    }  # fmt: skip
    assert set(figures["27"].values()) == {"< 5"}
    assert [a.label for a in stats.prefectures] == ["東京都", "大阪府"]


def test_the_page_shows_suppressed_cells_and_filters_by_prefecture(operator_client):
    _ward("13104", "東京都", certified=6, facilities=1)
    _ward("27100", "大阪府", certified=2)
    page = operator_client.get(URL)
    assert page.status_code == 200
    assert "東京都区13104" in page.text and "&lt; 5" in page.text
    only = operator_client.get(URL, {"prefecture": "大阪府"})
    assert [a.code for a in only.context["stats"].municipalities] == ["27100"]
    assert "東京都区13104" not in only.text


def _queries(operator):
    with CaptureQueriesContext(connection) as queries:
        services.statistics(operator)
    return len(queries)


def test_a_constant_number_of_queries(operator, django_assert_max_num_queries):
    _ward("13104", "東京都", certified=1, facilities=1, visits=1, waiting=1)
    small = _queries(operator)
    for n in range(6):
        _ward(f"1320{n}", "東京都", certified=3, facilities=2, visits=3, waiting=2)
        _ward(f"2720{n}", "大阪府", certified=1, facilities=1, visits=1, waiting=1)
    assert _queries(operator) == small
    with django_assert_max_num_queries(5):
        services.statistics(operator)
