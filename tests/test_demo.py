"""The demo world loads on both databases and holds what the README promises."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from tsuen.accounts.models import Role, User
from tsuen.attendance.models import Attendance
from tsuen.audit import verify_all
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.booking.models import Booking
from tsuen.certification.models import Application, ApplicationStatus, Certification
from tsuen.core import clock
from tsuen.demo import data
from tsuen.facilities.models import Facility, PlaceSlot
from tsuen.municipalities.models import Municipality, StaffNetwork, policy_for

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def test_demo_world(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), clock.frozen(NOW):
        logins = data.load(TODAY)
    shinjuku = Municipality.objects.get(code="13104")
    rules = policy_for(shinjuku.pk, TODAY).to_rules()
    assert str(rules.eligibility_end) == "fiscal_year_end_age_3"
    assert [(str(c.period), c.limit_minutes) for c in rules.caps] == [("fiscal_year", 9600)]
    assert [b.payer for b in rules.buckets] == ["national", "prefecture"]
    # The notices name the head and whom to contact.
    assert shinjuku.head == "新宿区長" and shinjuku.office_department and shinjuku.office_phone
    assert shinjuku.office_address and shinjuku.service_name == "新宿区 こども誰でも通園"
    # Every facility hears of requests, bookings and cancellations at a made-up address.
    addresses = list(Facility.objects.values_list("notice_email", flat=True))
    assert all(a.endswith("@example.jp") for a in addresses)
    assert len(set(addresses)) == len(addresses)
    nakano = Municipality.objects.get(code="13114")
    assert policy_for(nakano.pk, TODAY).to_rules() == data.national_default_policy(2026)

    assert Facility.objects.count() >= 6
    assert {u.role for u in User.objects.all()} == set(Role.values)  # one login per role
    staff = [login for login in logins if login.totp_secret]
    assert len(staff) == User.objects.exclude(role__in=[Role.GUARDIAN, Role.PROXY]).count()
    assert Certification.objects.filter(status="active").count() == 4
    assert Booking.objects.exists() and Attendance.objects.exists()
    # The ward's desks have work: applications waiting and last month's claim to review.
    waiting = Application.objects.filter(municipality=shinjuku, status=ApplicationStatus.SUBMITTED)
    assert waiting.count() == 2
    claim = Claim.objects.get()
    assert (claim.year, claim.month, claim.status) == (2026, 10, ClaimStatus.SUBMITTED)
    assert claim.paying_municipality == shinjuku and claim.lines.count() >= 8
    assert all(result.ok for result in verify_all())
    # Outside DEBUG the demo wards get no staff network: nobody could reach them as staff.
    assert not StaffNetwork.objects.exists()


def test_load_demo_command_is_idempotent_and_prints_logins(capsys, settings):
    """On a development server (DEBUG) only, and there the wards' staff network is this
    machine."""
    settings.DEBUG = True
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    again = capsys.readouterr().out
    assert "guardian@demo.tsuen.example.jp" in first and "already loaded" in again
    assert "totp_code" in first and Municipality.objects.filter(code="13104").count() == 1
    assert "TSUEN_DEBUG=1" in first
    for ward in Municipality.objects.all():
        ranges = set(StaffNetwork.objects.filter(municipality=ward).values_list("cidr", flat=True))
        assert ranges == {"127.0.0.0/8", "::1/128"}


def test_load_demo_refuses_to_run_outside_debug(settings):
    """Demo accounts share a printed password and print their second factors."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="TSUEN_DEBUG=1"):
        call_command("load_demo")
    assert not Municipality.objects.exists()


def test_demo_visits_and_claims_never_fall_on_a_national_holiday(
    django_capture_on_commit_callbacks,
):
    """Loaded in December 2026: last month's claim covers November, whose Tuesdays include
    文化の日 (11-03); the demo books no visit, and makes no place, on a holiday."""
    import jpholiday

    today = dt.date(2026, 12, 3)
    with (
        django_capture_on_commit_callbacks(execute=True),
        clock.frozen(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)),
    ):
        data.load(today)
    booked = set(Booking.objects.values_list("date", flat=True))
    assert dt.date(2026, 11, 5) in booked  # the Thursday after 文化の日 is billed
    assert not [d for d in booked if jpholiday.is_holiday(d)]
    slots = set(PlaceSlot.objects.values_list("date", flat=True))
    assert not [d for d in slots if jpholiday.is_holiday(d)]
    claim = Claim.objects.get()
    assert (claim.year, claim.month) == (2026, 11)
    assert not [
        d for d in claim.lines.values_list("booking__date", flat=True) if jpholiday.is_holiday(d)
    ]


def test_load_demo_address_becomes_the_site_address_of_every_link(settings, tmp_path, capsys):
    """``--address`` is kept in var/local.env, which every later manage.py command reads; the
    links of emails and calendar feeds are built on it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tsuen.notices.feeds import feed_url

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.SITE_URL = settings.SITE_URL  # restored after the test
    (tmp_path / "local.env").write_text("TSUEN_SECRET_KEY=kept\nTSUEN_SITE_URL=http://old\n")
    call_command("load_demo", address="https://demo.example.jp:8443/")
    assert "https://demo.example.jp:8443/guardian/" in capsys.readouterr().out
    kept = (tmp_path / "local.env").read_text().splitlines()
    assert kept == ["TSUEN_SECRET_KEY=kept", "TSUEN_SITE_URL=https://demo.example.jp:8443"]
    assert feed_url("t0ken").startswith("https://demo.example.jp:8443/calendar/")
    # A later process (runserver, db_worker) reads it.
    root = Path(__file__).resolve().parent.parent
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=root, capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "TSUEN_SITE_URL"}
        | {"TSUEN_VAR_DIR": str(tmp_path), "TSUEN_DEBUG": "1"},
    )  # fmt: skip
    assert shown.stdout.strip().splitlines()[-1] == "https://demo.example.jp:8443"
    with pytest.raises(CommandError, match="https://host:port"):
        call_command("load_demo", address="demo.example.jp")
