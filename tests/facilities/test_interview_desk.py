"""Issue 10: the interview desk shows what the facility needs to prepare a first interview --
the child's age class, certification, allergies and medical-care need, the guardian's phone --
as far as the policy allows, and records every read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.facilities.conftest import at
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.authz.policy import Action, allows
from tsuen.facilities.models import InterviewSlot, InterviewStatus
from tsuen.families.models import Guardian

pytestmark = pytest.mark.django_db


@pytest.fixture
def fac(ward):
    return f.facility(ward, name="ひだまり保育園")


@pytest.fixture
def worker(fac):
    u = f.user(Role.FACILITY_STAFF, facility=fac)
    f.second_factor(u)
    return u


@pytest.fixture
def asked(ward, fac, family):
    """A certified child (age class 1 in FY2026) with egg allergy and medical care, whose
    guardian asked for an interview."""
    guardian, _household, child = family
    child.allergies = ["卵"]
    child.medical_care = True
    child.save()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.certification(child, reviewer, number="SJ2026-00077")
    starts = at(3, 10)
    slot = InterviewSlot.objects.create(
        facility=fac, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )
    interview = f.interview(child, fac, guardian, status=InterviewStatus.REQUESTED, slot=slot)
    return interview


def page(client, user, name, *args) -> str:
    login_with_second_factor(client, user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("name", "args"),
    [("facilities:staff_interviews", ()), ("facilities:staff_interview_decide", ("pk",))],
)
def test_the_desk_shows_what_the_interview_needs(
    client, worker, asked, name, args, django_capture_on_commit_callbacks
):
    args = [asked.pk if a == "pk" else a for a in args]
    with django_capture_on_commit_callbacks(execute=True):
        body = page(client, worker, name, *args)
    assert "1-year class" in body
    assert "Certified (SJ2026-00077" in body
    assert "卵" in body
    assert "Needs medical care</dt><dd><strong>yes</strong>" in body
    assert 'href="tel:090-0000-0000"' in body
    guardian = Guardian.objects.get(household=asked.child.household)
    reads = AuditEvent.objects.filter(action="read")
    assert reads.filter(object_type="families.guardian", object_id=str(guardian.pk)).exists()
    child_reads = [set(e.field_names) for e in reads.filter(object_type="families.child")]
    assert any({"allergies", "medical_care"} <= names for names in child_reads)


def test_without_a_certification_the_desk_says_so_and_shows_no_care_needs(client, worker, asked):
    asked.child.certifications.update(status="ended", ended_on=dt.date(2026, 12, 1))
    body = page(client, worker, "facilities:staff_interviews")
    assert "No active certification" in body
    assert "卵" not in body  # the care record closes with the certification
    assert 'href="tel:090-0000-0000"' in body  # the facility can still call the family


def test_the_phone_is_for_the_facility_holding_an_open_interview(ward, fac, asked, worker):
    guardian = Guardian.objects.get(household=asked.child.household)
    assert allows(worker, Action.INTERVIEW_GUARDIAN_CONTACT, guardian)
    other = f.user(Role.FACILITY_STAFF, facility=f.facility(ward))
    assert not allows(other, Action.INTERVIEW_GUARDIAN_CONTACT, guardian)
    asked.status = InterviewStatus.DECLINED
    asked.save()
    assert not allows(worker, Action.INTERVIEW_GUARDIAN_CONTACT, guardian)
