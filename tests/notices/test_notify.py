"""Notices are rendered in the recipient's language and sent by the database task worker only
after the change that caused them commits."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from tests import factories as f
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify

pytestmark = pytest.mark.django_db(transaction=True)

CONTEXT = dict(
    child_name="見本 一花",
    facility_name="ひだまり保育園",
    date="2026-12-01",
    start="10:00",
    end="12:00",
    path="/bookings/",
)


def work():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_a_notice_is_sent_by_the_worker_in_the_users_language():
    ja, en = f.user(), f.user(language="en")
    with transaction.atomic():
        notify(Notice.BOOKING_CONFIRMED, ja, **CONTEXT)
        notify(Notice.BOOKING_CONFIRMED, en, **CONTEXT)
    assert mail.outbox == []  # queued, not sent in the request
    work()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "予約" in by_address[ja.email].subject
    assert "confirmed" in by_address[en.email].body
    assert "http://127.0.0.1:8000/bookings/" in by_address[en.email].body


def test_a_rolled_back_change_sends_nothing():
    account = f.user()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(Notice.BOOKING_CONFIRMED, account, **CONTEXT)
        raise RuntimeError("the booking failed")
    work()
    assert mail.outbox == []
