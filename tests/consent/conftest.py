"""Fixtures of the consent and disclosure tests: a ward, a family that has not agreed yet, and
that family with something held about it (for the disclosure, at home and at the ward desk)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance, DailyRecord, MorningNote, RecordStatus
from tsuen.core import clock
from tsuen.families import services as families


@pytest.fixture
def ward():
    return f.municipality(code="13104", name="新宿区")


@pytest.fixture
def family(ward):
    """A household that has not agreed to the notice yet: (guardian account, household, child)."""
    return f.family(ward, consented=False, given_name="一花", given_name_kana="イチカ")


@pytest.fixture
def held(ward, family):
    """The family with a profile, a certification, a visit with attendance, a published and a
    draft daily record, a morning note and an interview with staff notes; and another family."""
    guardian, household, child = family
    f.consent(household, guardian)
    families.update_meals(guardian, child.pk, allergies=["卵", "そば"], meal_requirements="")
    families.update_development(guardian, child.pk, development_notes="言葉が早い")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.certification(child, reviewer, number="SJ2026-00007")
    facility = f.facility(ward, name="ひだまり保育園")
    staff = f.user(Role.FACILITY_STAFF, facility=facility)
    day = clock.today() - dt.timedelta(days=3)
    visit = f.booking(child, f.place_slot(facility, day), guardian)
    Attendance.objects.create(
        booking=visit,
        status="present",
        recorded_by=staff,
        checked_in_at=visit.starts_at,
        checked_out_at=visit.ends_at,
        billable_minutes=120,
    )
    MorningNote.objects.create(booking=visit, health="少し咳", temperature=Decimal("36.8"))
    DailyRecord.objects.create(
        booking=visit, meals="完食", notes="よく遊びました", written_by=staff,
        status=RecordStatus.PUBLISHED, published_at=clock.now(),
    )  # fmt: skip
    other_visit = f.booking(child, f.place_slot(facility, day - dt.timedelta(days=7)), guardian)
    DailyRecord.objects.create(booking=other_visit, notes="下書きのメモ", written_by=staff)
    f.interview(
        child, facility, guardian, notes="職員だけのメモ", message_to_family="持ち物は不要です"
    )
    other_guardian, _other_household, other_child = f.family(
        ward, given_name="別子", given_name_kana="ベツコ"
    )
    families.update_meals(other_guardian, other_child.pk, allergies=["えび"], meal_requirements="")
    return guardian, household, child
