"""The monthly operations report built from a ward's November (tests/opsreport/scene.py): every
figure exactly, the month's edges, a month with nothing, a month not over, a month refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from tests.opsreport import scene as s
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key
from tsuen.core import clock
from tsuen.opsreport import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(django_capture_on_commit_callbacks):
    return s.build(django_capture_on_commit_callbacks)


def november(scene, *, with_names=True):
    with clock.frozen(s.TODAY):
        return services.build(scene.ward, s.NOVEMBER, with_names=with_names)


def test_every_audit_log_figure_of_november(ward):
    report = november(ward)
    assert {name: getattr(report, name) for name in s.EXPECTED} == s.EXPECTED
    # 3 logins, 2 failed, 1 lockout, 3 denials, 4 reads, 1 export of 2 rows, 1 download.
    assert report.events == 16
    assert report.over and not report.in_progress


def test_the_month_runs_from_its_first_to_its_last_moment_japan_time(ward):
    report = november(ward)
    assert report.start.isoformat() == "2026-11-01T00:00:00+09:00"
    assert report.end.isoformat() == "2026-12-01T00:00:00+09:00"


def test_staff_with_and_without_a_second_factor_with_their_names(ward):
    staff = november(ward).staff
    assert (staff.total, staff.with_factor, staff.with_totp, staff.without) == (6, 3, 2, 3)
    facility = ward.facility_staff.facility.name
    with translation.override("en"):
        staff = november(ward).staff
    assert sorted((m.name, m.role, m.facility) for m in staff.missing) == sorted([
        ("審査 未設定", "Municipal reviewer", ""),
        ("", "Municipal payments officer", ""),  # no name: the page shows the email
        ("保育 未設定", "Facility staff", facility),
    ])  # fmt: skip
    assert {m.email for m in staff.missing} == {
        ward.reviewer.email,
        ward.nameless.email,
        ward.facility_staff.email,
    }


def test_counts_only_without_names(ward):
    staff = november(ward, with_names=False).staff
    assert staff.missing is None and staff.without == 3


def test_anomalies_of_the_month_by_rule_and_disposition(ward):
    lines = {a.rule: (a.open, a.explained, a.escalated) for a in november(ward).anomalies}
    assert lines == {
        "off_hours": (1, 0, 0),
        "volume": (0, 0, 0),
        "no_relationship": (0, 0, 0),
        "bulk_export": (0, 0, 0),
        "denials": (1, 0, 1),
        "lockout": (0, 1, 0),
    }
    total = november(ward).anomalies_total
    assert (total.open, total.explained, total.escalated, total.total) == (2, 1, 1, 4)


def test_purge_runs_of_the_month_without_names(ward):
    runs = november(ward).purge_runs
    assert [(r.status, r.deleted) for r in runs] == [("executed", 7), ("cancelled", 0)]
    assert runs[0].finished_at == s.at(4) and runs[1].finished_at is None


def test_backups_as_they_stood_at_the_end_of_the_month(ward):
    backups = november(ward).backups
    assert backups["backup"].finished_at == s.at(30, 2) and backups["backup"].result == "failed"
    assert backups["backup_ok"].finished_at == s.at(29, 2)
    assert backups["drill"].finished_at == s.at(15, 3) == backups["drill_ok"].finished_at


def test_the_chain_head_with_its_key_version(ward):
    head = november(ward).head
    stored = AuditChainHead.objects.get(key=chain_key(ward.ward.pk))
    assert (head.seq, head.hash) == (stored.seq, stored.head_hash)
    assert head.seq == AuditEvent.objects.filter(municipality_id=ward.ward.pk).count()
    assert head.key_version == 1
    assert head.at == s.TODAY


def test_a_month_with_nothing(ward):
    with clock.frozen(s.TODAY):
        report = services.build(ward.ward, dt.date(2026, 8, 1), with_names=True)
    assert {name: getattr(report, name) for name in s.EXPECTED} == dict.fromkeys(s.EXPECTED, 0)
    assert report.events == 0 and report.purge_runs == []
    assert all(a.total == 0 for a in report.anomalies)
    assert report.backups == {"backup": None, "backup_ok": None, "drill": None, "drill_ok": None}


def test_a_ward_with_nothing_at_all():
    from tests import factories as f

    empty = f.municipality()
    with clock.frozen(s.TODAY):
        report = services.build(empty, s.NOVEMBER, with_names=True)
    assert report.head is None and report.staff.total == 0 and report.staff.missing == []
    assert report.sensitive_reads == 0 and report.events == 0


def test_a_month_not_over_counts_to_now_and_says_so(ward):
    with clock.frozen(s.TODAY):
        report = services.build(ward.ward, dt.date(2026, 12, 1), with_names=True)
    assert report.in_progress and report.end == s.TODAY
    assert report.logins == 1  # 1 December 00:00
    # The backup of 2 December counts: it finished before now.
    assert report.backups["backup"].finished_at == s.at(2, 2, month=12)


# --- the month: pure functions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 12, 4), dt.date(2026, 11, 1)),
        (dt.date(2026, 12, 1), dt.date(2026, 11, 1)),
        (dt.date(2026, 11, 30), dt.date(2026, 10, 1)),
        (dt.date(2027, 1, 1), dt.date(2026, 12, 1)),
        (dt.date(2026, 1, 31), dt.date(2025, 12, 1)),
    ],
)
def test_the_default_month_is_the_last_one_over(today, expected):
    assert services.default_month(today) == expected


def test_next_and_previous_month_across_the_year():
    assert services.next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert services.next_month(dt.date(2026, 1, 1)) == dt.date(2026, 2, 1)
    assert services.previous_month(dt.date(2027, 1, 1)) == dt.date(2026, 12, 1)
    assert services.previous_month(dt.date(2026, 3, 1)) == dt.date(2026, 2, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "例: 2026-11"),
        ("2026-00", "例: 2026-11"),
        ("11/2026", "例: 2026-11"),
        ("", "例: 2026-11"),
        ("2027-01", "まだ始まっていません"),
        ("2019-12", "2020-01より前の報告はありません"),
    ],
)
def test_a_month_that_cannot_be_reported_is_refused_with_the_reason(text, message):
    with pytest.raises(services.MonthRefused) as refused:
        services.parse_month(text, dt.date(2026, 12, 4))
    assert message in " ".join(refused.value.messages)


def test_the_current_month_may_be_asked_for_and_is_not_over():
    today = dt.date(2026, 12, 4)
    month = services.parse_month("2026-12", today)
    assert month == dt.date(2026, 12, 1) and not services.is_over(month, today)
    assert services.is_over(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert not services.is_over(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_the_report_takes_the_same_queries_however_many_events(
    ward, django_capture_on_commit_callbacks
):
    """Aggregates in the database: more events, staff and anomalies add no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        november(ward)
    for minute in range(20):
        s._login_events(django_capture_on_commit_callbacks, ward.admin, s.at(9, 9, minute), "login")
    with CaptureQueriesContext(connection) as second:
        report = november(ward)
    assert report.logins == s.EXPECTED["logins"] + 20
    assert len(second) == len(first)
