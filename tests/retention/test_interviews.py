"""Issue 12 item 1: a first interview (初回面談) of a household that stays keeps its row (its
status, length and follow-up price the first visit on a claim), but the facility's notes and
its message to the family (``care_record``) are erased 12 months after the child's eligibility
ended; a held child, household or facility keeps them; a second run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.retention import scene as s
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.facilities.models import Interview, InterviewStatus
from tsuen.retention import services

pytestmark = pytest.mark.django_db

#: 1 April 2027: the recent family's child's eligibility ended 12 months before (31 March
#: 2026); its household stays (its certification is payment-linked, kept for 5 years).
LATER = dt.datetime(2027, 4, 1, 10, tzinfo=dt.UTC)


def interview(family, facility) -> Interview:
    return Interview.objects.create(
        facility=facility, child=family["child"], requested_by=family["account"],
        status=InterviewStatus.ACCEPTED, held_minutes=30, follow_up_recorded=True,
        notes="食物アレルギー（卵）あり", message_to_family="お待ちしています",
        decided_at=s.moment(dt.date(2025, 4, 1)),
    )  # fmt: skip


@pytest.fixture
def w():
    world = s.ward_scene()
    world["interview"] = interview(world["recent"], world["facility"])
    world["held_interview"] = interview(world["held"], world["facility"])
    return s.with_held_household(world)


def execute(w):
    run = services.request_run(w["admin"])
    services.approve_run(w["second"], run.pk)
    return services.execute_run(w["second"], run.pk)


def test_the_notes_of_an_interview_go_12_months_after_eligibility_the_row_stays(w):
    with clock.frozen(s.TODAY):
        assert "facilities.Interview.notes" not in services.dry_run(w["ward"])["care_records"]
    with clock.frozen(LATER):
        planned = services.dry_run(w["ward"])["care_records"]
        assert Interview.objects.get(pk=w["interview"].pk).notes  # the dry run erased nothing
        run = execute(w)
        again = execute(w)
    assert planned["facilities.Interview.notes"] == 1
    assert run.deleted["care_records"]["facilities.Interview.notes"] == 1
    kept = Interview.objects.get(pk=w["interview"].pk)
    assert kept.notes == "" and kept.message_to_family == ""
    assert (kept.status, kept.held_minutes, kept.follow_up_recorded) == ("accepted", 30, True)
    assert Interview.objects.get(pk=w["held_interview"].pk).notes == "食物アレルギー（卵）あり"
    assert "facilities.Interview.notes" not in again.deleted["care_records"]
    event = AuditEvent.objects.get(
        action="purge", object_type="facilities.interview", object_id=str(w["interview"].pk)
    )
    assert set(event.field_names) == {"notes", "message_to_family"}
    assert w["recent"]["child"].pk in event.subject_child_ids


def test_a_facility_hold_keeps_the_notes(w):
    with clock.frozen(LATER):
        services.set_hold(w["admin"], "facility", w["facility"].pk, "監査対応")
        execute(w)
    assert Interview.objects.get(pk=w["interview"].pk).notes == "食物アレルギー（卵）あり"
