"""The reminder before the cancellation deadline: sent once per booking, by the task worker,
to the family, only for bookings whose deadline falls within the next N hours."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from tests import factories as f
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import BookingStatus
from tsuen.core import clock
from tsuen.families.models import ProxyGrant
from tsuen.municipalities.models import MunicipalPolicy
from tsuen.notices.models import ReminderSent
from tsuen.notices.reminders import send_reminders
from tsuen.notices.tasks import send_reminders_task

pytestmark = pytest.mark.django_db(transaction=True)

VISIT = dt.date(2026, 12, 2)  # the national default deadline: 2026-12-01 17:00


def work():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.fixture
def family():
    ward = f.municipality()
    guardian, household, child = f.family(ward, given_name="一花")
    facility = f.facility(ward, name="ひだまり保育園")
    return guardian, household, child, facility


def book(child, facility, by, day=VISIT, **kw):
    return f.booking(child, f.place_slot(facility, day), by, **kw)


def remind_at(*moment, hours=None):
    with clock.frozen(dt.datetime(*moment)):
        args = [] if hours is None else ["--hours", str(hours)]
        call_command("send_reminders", *args, verbosity=0)


def test_the_reminder_is_sent_once_by_the_worker(family):
    guardian, _, child, facility = family
    book(child, facility, guardian)
    remind_at(2026, 12, 1, 9, 0)  # deadline in 8 hours
    assert mail.outbox == []  # queued for the worker, not sent by the job itself
    work()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [guardian.email]
    assert "ひだまり保育園" in message.subject
    assert "令和8年12月1日 17:00" in message.body and "一花" in message.body
    assert "2026-12" not in message.body  # no ISO date in Japanese prose
    assert "http://127.0.0.1:8000/bookings/" in message.body
    remind_at(2026, 12, 1, 9, 30)  # the next run
    remind_at(2026, 12, 1, 16, 0)
    work()
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 1


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        ((2026, 11, 30, 16, 59), False),  # deadline more than 24 hours away
        ((2026, 11, 30, 17, 0), True),  # exactly 24 hours
        ((2026, 12, 1, 16, 59), True),
        ((2026, 12, 1, 17, 0), False),  # the deadline itself: too late to be useful
        ((2026, 12, 1, 18, 0), False),
    ],
)
def test_only_deadlines_within_the_next_24_hours(family, moment, due):
    guardian, _, child, facility = family
    book(child, facility, guardian)
    remind_at(*moment)
    work()
    assert len(mail.outbox) == int(due)


def test_hours_can_be_set(family):
    guardian, _, child, facility = family
    book(child, facility, guardian)
    remind_at(2026, 11, 30, 9, 0, hours=48)
    work()
    assert len(mail.outbox) == 1


def test_the_deadline_follows_the_policy_of_the_bookings_date(family):
    guardian, _, child, facility = family
    policy = MunicipalPolicy.from_rules(
        facility.municipality, rules.national_default_policy(2026), dt.date(2026, 4, 1)
    )
    policy.cancel_deadline_days_before, policy.cancel_deadline_time = 2, dt.time(12, 0)
    policy.save()
    book(child, facility, guardian, day=dt.date(2026, 12, 3))  # deadline 2026-12-01 12:00
    remind_at(2026, 11, 30, 11, 0)  # 25 hours before: not yet
    work()
    assert mail.outbox == []
    remind_at(2026, 11, 30, 13, 0)
    work()
    assert len(mail.outbox) == 1
    assert "令和8年12月1日 12:00" in mail.outbox[0].body


def test_cancelled_bookings_are_not_reminded(family):
    guardian, _, child, facility = family
    book(child, facility, guardian, status=BookingStatus.CANCELLED)
    remind_at(2026, 12, 1, 9, 0)
    work()
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_every_guardian_and_the_proxy_who_booked_are_told_in_their_language(family):
    guardian, household, child, facility = family
    second = f.user(Role.GUARDIAN, language="en")
    f.guardian(household, second, given_name="次郎", is_primary=False)
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    book(child, facility, proxy)
    stranger, _, _ = f.family(facility.municipality)
    remind_at(2026, 12, 1, 9, 0)
    work()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {guardian.email, second.email, proxy.email}
    assert stranger.email not in by_address
    assert "cancel" in by_address[second.email].body
    assert "1 Dec 2026 17:00" in by_address[second.email].body


def test_the_task_runs_the_same_job(family):
    guardian, _, child, facility = family
    book(child, facility, guardian)
    with clock.frozen(dt.datetime(2026, 12, 1, 9, 0)):
        send_reminders_task.enqueue()
        work()  # runs the job, which queues the email
        work()  # sends the email (if the first batch has not already)
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 1


def test_the_job_is_idempotent_when_called_directly(family):
    guardian, _, child, facility = family
    book(child, facility, guardian)
    now = clock.frozen(dt.datetime(2026, 12, 1, 9, 0))
    with now as moment:
        assert send_reminders(now=moment) == 1
        assert send_reminders(now=moment) == 0


def test_the_reminder_is_audited_with_the_child_as_subject(family):
    guardian, _, child, facility = family
    book(child, facility, guardian)
    remind_at(2026, 12, 1, 9, 0)
    event = AuditEvent.objects.get(object_type="notices.remindersent")
    assert (event.action, event.actor_role, event.subject_child_ids) == (
        "create",
        "system",
        [child.pk],
    )


def test_finding_due_reminders_costs_the_same_queries_for_2_or_12_bookings(family):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tsuen.core import tenancy
    from tsuen.notices.reminders import due_reminders

    guardian, _, _child, facility = family
    moment = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))

    def queries() -> tuple[int, int]:
        with tenancy.cross_tenant("test"), CaptureQueriesContext(connection) as seen:
            due = due_reminders(moment)
        return len(seen), len(due)

    slot = f.place_slot(facility, VISIT, capacity=20)
    for _ in range(2):
        f.booking(f.family(facility.municipality)[2], slot, guardian)
    small, found = queries()
    assert found == 2
    for _ in range(10):
        f.booking(f.family(facility.municipality)[2], slot, guardian)
    large, found = queries()
    assert found == 12 and large == small
