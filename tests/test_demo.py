"""The demo world loads on both databases and holds what the README promises."""

import datetime as dt

import pytest
from django.core.management import call_command

from tsuen.accounts.models import Role, User
from tsuen.attendance.models import Attendance
from tsuen.audit import verify_all
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.booking.models import Booking
from tsuen.certification.models import Application, ApplicationStatus, Certification
from tsuen.core import clock
from tsuen.demo import data
from tsuen.facilities.models import Facility
from tsuen.municipalities.models import Municipality, policy_for

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
    assert [b.payer for b in rules.buckets] == ["national", "tokyo"]
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


def test_load_demo_command_is_idempotent_and_prints_logins(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    again = capsys.readouterr().out
    assert "guardian@demo.tsuen.example.jp" in first and "already loaded" in again
    assert "totp_code" in first and Municipality.objects.filter(code="13104").count() == 1
