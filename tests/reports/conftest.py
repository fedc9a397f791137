"""A small hand-built ward with exact figures, on 2026-05-20 (Wednesday) at 10:00 in Tokyo.

Ward A: facility F1 with two slots in May (9:00-17:00, 3 places: 2,880 place-minutes offered),
F2 with no slot in May. Certified children: ``near`` (480 of the 600 monthly minutes: 80 %),
``under`` (474 minutes: 79 %), ``never`` (never came), ``gone`` (last visit 61 days ago),
``recent`` (last visit 59 days ago). Also an uncertified child and one whose certification
ended (both never came), and in ward B a certified child who never came. Seven applications
waiting in ward A, aged 1, 7, 14, 15, 30 and 31 days, and one sent back 2 days ago.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests import factories as f
from tests.matrix.rows_certification import _application
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.booking.models import BookingStatus
from tsuen.certification.models import Application, ApplicationStatus, CertificationStatus
from tsuen.core import clock

TODAY = dt.datetime(2026, 5, 20, 10, 0)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def aware(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def visit(kid, slot, by, minutes, *, attended):
    start = dt.time(9, 0)
    end = (dt.datetime.combine(slot.date, start) + dt.timedelta(minutes=minutes)).time()
    booking = f.booking(kid, slot, by, start=start, end=end)
    if attended:
        Attendance.objects.create(
            booking=booking,
            status=AttendanceStatus.PRESENT,
            checked_in_at=booking.starts_at,
            checked_out_at=booking.ends_at,
            billable_minutes=minutes,
            recorded_by=by,
        )
    return booking


def staff(role, ward):
    account = f.user(role, municipality=ward)
    f.second_factor(account)
    return account


@pytest.fixture
def world(db):
    a, b = f.municipality(name="甲区"), f.municipality(name="乙区")
    admin = staff(Role.MUNICIPAL_ADMIN, a)
    guardian, household, near = f.family(a, given_name="近上限")
    f1 = f.facility(a, name="一番保育園")
    f2 = f.facility(a, name="二番保育園")
    f.facility(b, name="乙区保育園")
    may7, may8 = f.place_slot(f1, dt.date(2026, 5, 7)), f.place_slot(f1, dt.date(2026, 5, 8))
    mar20 = f.place_slot(f2, dt.date(2026, 3, 20))
    mar22 = f.place_slot(f2, dt.date(2026, 3, 22))

    def kid(name, **kw):
        return f.child(f.household(a), given_name=name, **kw)

    under, never = kid("七九"), kid("未来園")
    gone, recent = kid("六一日"), kid("五九日")
    uncertified, ended = kid("未認定"), kid("終了")
    april = aware(2026, 4, 10, 10, 0)
    for child in (near, under, never, gone, recent):
        f.certification(child, admin, certified_at=april, valid_from=dt.date(2026, 4, 10))
    f.certification(
        ended, admin, status=CertificationStatus.ENDED, certified_at=aware(2025, 5, 1, 10, 0)
    )
    _, other_household, other = f.family(b, given_name="乙区の子")
    f.certification(other, admin, certified_at=april)

    visit(near, may7, guardian, 240, attended=True)
    visit(near, may8, guardian, 240, attended=False)  # booked: counts towards the cap
    visit(under, may8, guardian, 474, attended=True)
    visit(gone, mar20, guardian, 120, attended=True)
    visit(recent, mar22, guardian, 120, attended=True)
    cancelled = f.booking(uncertified, may7, guardian, billable_minutes=120)
    cancelled.status = BookingStatus.CANCELLED
    cancelled.save()

    for days, status in (
        (1, ApplicationStatus.SUBMITTED),
        (7, ApplicationStatus.SUBMITTED),
        (14, ApplicationStatus.SUBMITTED),
        (15, ApplicationStatus.SUBMITTED),
        (30, ApplicationStatus.SUBMITTED),
        (31, ApplicationStatus.SUBMITTED),
        (2, ApplicationStatus.CORRECTION_REQUESTED),
        (40, ApplicationStatus.REJECTED),
    ):
        application = _application(guardian, household, near, status)
        Application.objects.filter(pk=application.pk).update(
            submitted_at=aware(2026, 5, 20, 9, 0) - dt.timedelta(days=days)
        )
    other_application = _application(guardian, other_household, other, ApplicationStatus.SUBMITTED)
    Application.objects.filter(pk=other_application.pk).update(submitted_at=aware(2026, 1, 1, 9, 0))
    return {
        "ward": a,
        "other_ward": b,
        "admin": admin,
        "f1": f1,
        "f2": f2,
        "near": near,
        "under": under,
        "never": never,
        "gone": gone,
        "recent": recent,
        "uncertified": uncertified,
        "ended": ended,
        "other": other,
    }


def logged_in(client, user):
    login_with_second_factor(client, user)
    return client
