"""Issue 10: migration attendance/0004 recounts stored billable minutes by the new rule (a
10:00-12:00 booking tapped in and out at 14:41 once stored 300 minutes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories as f
from tests.billing import scene as s
from tsuen.attendance.models import Attendance

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("attendance", "0003_attendance_times_reason")]
AFTER = [("attendance", "0004_recount_billable_minutes")]


def test_phantom_minutes_are_recounted():
    ward = s.ward()
    facility = f.facility(ward)
    _, _, child = f.family(ward, birth_date=dt.date(2024, 2, 1))
    day = dt.date(2026, 11, 12)
    phantom = s.visit(child, facility, day, dt.time(10), dt.time(12))
    late = s.visit(child, facility, day + dt.timedelta(days=1), dt.time(10), dt.time(12))
    Attendance.objects.filter(pk=phantom.pk).update(
        checked_in_at=dt.datetime.combine(day, dt.time(14, 41), tzinfo=s.JST),
        checked_out_at=dt.datetime.combine(day, dt.time(14, 41, 30), tzinfo=s.JST),
        billable_minutes=300,
    )
    Attendance.objects.filter(pk=late.pk).update(
        checked_out_at=dt.datetime.combine(late.booking.date, dt.time(12, 20), tzinfo=s.JST),
        billable_minutes=150,
    )
    # Every app's latest, not only attendance's: going back to BEFORE also unapplies the apps
    # that depend on attendance (the dashboard's triggers), which must come back for the tests
    # that follow (the backup drill found them missing).
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate(BEFORE)
        MigrationExecutor(connection).migrate(AFTER)
    finally:
        MigrationExecutor(connection).migrate(leaves)
    phantom.refresh_from_db()
    late.refresh_from_db()
    assert (phantom.billable_minutes, late.billable_minutes) == (120, 150)
