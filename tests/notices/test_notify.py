"""Notices are rendered in the recipient's language and sent by the database task worker only
after the change that caused them commits."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify

pytestmark = pytest.mark.django_db(transaction=True)

CONTEXT = dict(
    child_name="見本 一花",
    facility_name="ひだまり保育園",
    date=dt.date(2026, 12, 1),
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


def test_dates_read_in_the_recipients_language_and_wards_style():
    ward = f.municipality(name="新宿区")
    western = f.municipality(name="西暦区", western_years=True)
    ja = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    en = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, language="en")
    other = f.user(Role.MUNICIPAL_REVIEWER, municipality=western)
    with transaction.atomic():
        for account in (ja, en, other):
            notify(Notice.BOOKING_CONFIRMED, account, **CONTEXT)
    work()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "令和8年12月1日" in by_address[ja.email].body
    assert "1 Dec 2026" in by_address[en.email].body
    assert "2026年12月1日" in by_address[other.email].body
    assert not any("2026-12-01" in m.body or "2026-12-01" in m.subject for m in mail.outbox)


def test_the_subject_names_the_service_as_the_ward_brands_it():
    named = f.municipality(name="新宿区", service_name="しんじゅく こども通園")
    plain = f.municipality(name="中野区")
    guardian = f.user()
    f.guardian(f.household(plain), guardian)
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=named)
    nobody = f.user()  # a new account, no household yet
    with transaction.atomic():
        for account in (guardian, staff, nobody):
            notify(Notice.BOOKING_CONFIRMED, account, **CONTEXT)
    work()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[staff.email].startswith("【しんじゅく こども通園】")
    assert subjects[guardian.email].startswith(f"【{plain.name} こども誰でも通園】")
    assert subjects[nobody.email].startswith("【こども誰でも通園】")
    assert not any("tsuen" in subject for subject in subjects.values())


def test_an_email_queued_before_the_ward_changes_its_style_is_sent_in_the_new_style():
    """The worker renders the email when it sends it, from the dates kept with the task: a ward
    that switches to western years (or renames its service) after the queuing is written in
    its new style, dates inside lists included."""
    from tsuen.core import dates
    from tsuen.municipalities.models import Municipality

    ward = f.municipality(name="新宿区")
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    with transaction.atomic():
        notify(Notice.BOOKING_CONFIRMED, staff, **CONTEXT)
        notify(
            Notice.CERTIFICATION_ENDED,
            staff,
            child_name="見本 一花",
            municipality_name="新宿区",
            last_day=dt.date(2026, 11, 30),
            reason="転出",
            cancelled=[
                {
                    "facility": "ひだまり保育園",
                    "day": dt.date(2026, 12, 2),
                    "start": "10:00",
                    "end": "12:00",
                }
            ],
            path="/bookings/",
        )
        notify(
            Notice.CLAIM_PAID,
            staff,
            month=dates.Month(2026, 10, 1),
            payer_name="新宿区",
            version=1,
            paid_on=dt.date(2026, 12, 1),
            path="/claims/1/",
        )
    Municipality.objects.filter(pk=ward.pk).update(western_years=True, service_name="しんじゅく")
    work()
    assert len(mail.outbox) == 3
    booked, ended, paid = (
        next(m for m in mail.outbox if "2026年12月1日" in m.subject),
        next(m for m in mail.outbox if "ひだまり保育園 2026年12月2日 10:00–12:00" in m.body),
        next(m for m in mail.outbox if "2026年10月" in m.subject),
    )
    assert all(m.subject.startswith("【しんじゅく】") for m in (booked, ended, paid))
    assert "2026年11月30日" in ended.body and "2026年12月1日" in paid.body
    assert not any("令和" in m.subject + m.body for m in mail.outbox)
