"""The reason for unusual times (``Attendance.times_reason``, encrypted at rest) on the day
screen: shown on the visit's card to the facility's staff, each read audited like the visit's
other personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.attendance.conftest import VISIT_DAY
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance import services_staff
from tsuen.attendance.models import Attendance
from tsuen.audit.models import AuditEvent
from tsuen.core import clock

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(9 * 60)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(VISIT_DAY, dt.time(hour, minute), tzinfo=TZ)


def _reads_of_the_reason(attendance) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.for_object(attendance).filter(action="read")
        if "times_reason" in e.field_names
    ]


def test_the_day_card_shows_the_reason_and_audits_its_read(
    client, visit, django_capture_on_commit_callbacks
):
    with clock.frozen(at(14, 41)):
        services_staff.check_in(visit.staff, visit.booking.pk, reason="登園時刻の入力漏れ")
    attendance = Attendance.objects.get()
    assert not _reads_of_the_reason(attendance)
    with clock.frozen(at(15)), django_capture_on_commit_callbacks(execute=True):
        login_with_second_factor(client, visit.staff)
        body = client.get(reverse("attendance:staff_day")).content.decode()
    assert 'data-testid="times-reason"' in body and "登園時刻の入力漏れ" in body
    [event] = _reads_of_the_reason(attendance)
    assert event.actor_id == visit.staff.pk
    assert AuditEvent.objects.touching_child(visit.child).filter(pk=event.pk).exists()


def test_no_reason_no_line_and_no_read(client, visit, django_capture_on_commit_callbacks):
    with clock.frozen(at(10)), django_capture_on_commit_callbacks(execute=True):
        services_staff.check_in(visit.staff, visit.booking.pk)
        login_with_second_factor(client, visit.staff)
        body = client.get(reverse("attendance:staff_day")).content.decode()
    assert 'data-testid="times-reason"' not in body
    assert AuditEvent.objects.touching_child(visit.child).filter(action="read").exists()
    assert not _reads_of_the_reason(Attendance.objects.get())
