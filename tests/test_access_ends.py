"""Issue 9 item 7: access that ends.

A facility reads a child's data only while its relationship with the child is live -- a
confirmed visit from ``RELATIONSHIP_DAYS`` ago onwards, or a first interview asked for or
accepted within that window -- and never once the child's certification has ended. The ward's
payments officer reads what paying needs, never care records. The clock is frozen: the window's
edges are exact days. The route-level proof is tests/matrix/rows_access.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.billing import scene
from tests.exports.support import exported
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance import services_staff as day_screen
from tsuen.audit.models import AuditEvent
from tsuen.authz.policy import RELATIONSHIP_DAYS, Action, allows, filter_allowed
from tsuen.billing import services as billing
from tsuen.booking.models import BookingStatus
from tsuen.certification.models import CertificationStatus
from tsuen.core import clock
from tsuen.core.context import acting_as, actor_for
from tsuen.facilities.models import InterviewSlot, InterviewStatus, PlaceSlot
from tsuen.families.models import Child, FeeClass, HouseholdFeeClass
from tsuen.files.models import Purpose, StoredFile

pytestmark = pytest.mark.django_db

JST = timezone.get_fixed_timezone(9 * 60)
NOW = dt.datetime(2027, 2, 10, 10, 0, tzinfo=JST)
TODAY = NOW.date()
#: The first day whose visit still keeps the relationship live on TODAY.
EDGE = TODAY - dt.timedelta(days=RELATIONSHIP_DAYS)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


class World:
    def __init__(self):
        self.ward = f.municipality()
        self.facility = f.facility(self.ward)
        self.staff = f.user(Role.FACILITY_STAFF, facility=self.facility)
        self.reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=self.ward)
        self.payments = f.user(Role.MUNICIPAL_PAYMENTS, municipality=self.ward)
        for account in (self.staff, self.reviewer, self.payments):
            f.second_factor(account)

    def child(self, *, certified=True, **certification):
        guardian, _household, child = f.family(self.ward)
        if certified:
            values = {"valid_from": TODAY - dt.timedelta(days=300), "valid_to": TODAY}
            f.certification(child, self.reviewer, **(values | certification))
        child.guardian_user = guardian
        return child

    def visit(self, child, day, status=BookingStatus.CONFIRMED):
        slot = PlaceSlot.objects.filter(facility=self.facility, date=day).first()
        slot = slot or f.place_slot(self.facility, day, age_class=2, capacity=20)
        return f.booking(child, slot, child.guardian_user, status=status)

    def interview(self, child, status=InterviewStatus.REQUESTED, **when):
        interview = f.interview(child, self.facility, child.guardian_user, status=status)
        type(interview).unscoped.filter(pk=interview.pk).update(**when)
        return interview


@pytest.fixture
def world():
    return World()


def live(user, child) -> bool:
    """Whether ``user`` reaches the child (who it is, its care records, its certificate), with
    the same answer from the one-object check and from the list condition."""
    from tsuen.certification.models import Certification

    answers = set()
    for action, rows in (
        (Action.CHILD_VIEW, Child.objects.filter(pk=child.pk)),
        (Action.CHILD_LIST, Child.objects.filter(pk=child.pk)),
        (Action.CHILD_CARE_VIEW, Child.objects.filter(pk=child.pk)),
        (Action.CERTIFICATION_VIEW, Certification.objects.filter(child=child)),
    ):
        listed = filter_allowed(user, action, rows).exists()
        one = any(allows(user, action, row) for row in rows)
        assert one == listed, f"{action}: one object says {one}, the list says {listed}"
        answers.add(one)
    assert len(answers) == 1, f"partial reach of {child}"
    return answers.pop()


# --- the window after a visit -----------------------------------------------------------------


def test_a_visit_keeps_the_relationship_live_for_the_window_and_not_a_day_more(world):
    on_edge, past_edge = world.child(), world.child()
    world.visit(on_edge, EDGE)
    world.visit(past_edge, EDGE - dt.timedelta(days=1))
    assert live(world.staff, on_edge)
    assert not live(world.staff, past_edge)
    # The same visit a day later: the relationship has ended by itself, no job ran.
    with clock.frozen(NOW + dt.timedelta(days=1)):
        assert not live(world.staff, on_edge)


def test_a_visit_to_come_opens_the_profile_however_far_ahead(world):
    child = world.child(valid_to=TODAY + dt.timedelta(days=200))
    world.visit(child, TODAY + dt.timedelta(days=120))
    assert live(world.staff, child)


@pytest.mark.parametrize(
    "status",
    [
        BookingStatus.CANCELLED,
        BookingStatus.LATE_CANCELLED,
        BookingStatus.CANCELLED_BY_FACILITY,
    ],
)
def test_a_cancelled_booking_is_no_relationship(world, status):
    child = world.child()
    world.visit(child, TODAY + dt.timedelta(days=3), status=status)
    assert not live(world.staff, child)


def test_another_facility_and_another_facilitys_visit_stay_apart(world):
    child = world.child()
    other = f.facility(world.ward)
    f.booking(child, f.place_slot(other, TODAY), child.guardian_user)
    assert not live(world.staff, child)
    other_staff = f.user(Role.FACILITY_MANAGER, facility=other)
    assert live(other_staff, child)


# --- first interviews ---------------------------------------------------------------------------


def test_an_interview_asked_for_within_the_window_is_a_relationship(world):
    just_in, just_out = world.child(), world.child()
    window = dt.timedelta(days=RELATIONSHIP_DAYS)
    world.interview(just_in, requested_at=NOW - window)
    world.interview(just_out, requested_at=NOW - window - dt.timedelta(seconds=1))
    assert live(world.staff, just_in)
    assert not live(world.staff, just_out)


def test_an_accepted_interview_counts_from_its_decision_or_its_slot(world):
    long_ago = NOW - dt.timedelta(days=90)
    decided, booked_slot, stale = world.child(), world.child(), world.child()
    world.interview(
        decided,
        InterviewStatus.ACCEPTED,
        requested_at=long_ago,
        decided_at=NOW - dt.timedelta(days=5),
    )
    starts = NOW + dt.timedelta(days=14)
    slot = InterviewSlot.objects.create(
        facility=world.facility, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )
    world.interview(booked_slot, InterviewStatus.ACCEPTED, requested_at=long_ago, slot=slot)
    world.interview(stale, InterviewStatus.ACCEPTED, requested_at=long_ago, decided_at=long_ago)
    assert live(world.staff, decided)
    assert live(world.staff, booked_slot)
    assert not live(world.staff, stale)


@pytest.mark.parametrize("status", [InterviewStatus.DECLINED, InterviewStatus.CANCELLED])
def test_a_declined_or_cancelled_interview_is_no_relationship(world, status):
    child = world.child()
    world.interview(child, status, decided_at=NOW)
    assert not live(world.staff, child)


# --- the certification --------------------------------------------------------------------------


def test_never_after_the_certification_ended(world):
    last_day, run_out, ended, never = (
        world.child(),
        world.child(valid_to=TODAY - dt.timedelta(days=1)),  # the daily job has not run yet
        world.child(
            valid_to=TODAY - dt.timedelta(days=1),
            status=CertificationStatus.ENDED,
            ended_on=TODAY - dt.timedelta(days=1),
        ),
        world.child(certified=False),
    )
    for child in (last_day, run_out, ended, never):
        world.visit(child, TODAY)
    assert live(world.staff, last_day)
    for child in (run_out, ended, never):
        assert not live(world.staff, child), child
    # The family and the ward's care desk still reach the ended child.
    assert allows(ended.guardian_user, Action.CHILD_CARE_VIEW, ended)
    assert allows(world.reviewer, Action.CHILD_CARE_VIEW, ended)


def test_a_doctors_certificate_follows_the_relationship(world):
    current, lapsed = world.child(), world.child()
    world.visit(current, TODAY)
    world.visit(lapsed, EDGE - dt.timedelta(days=1))
    files = {
        child.pk: StoredFile.objects.create(
            municipality=world.ward, household=child.household, child=child,
            purpose=Purpose.DOCTOR_CERTIFICATE, original_name="診断書.pdf",
            content_type="application/pdf", size=1, sha256="0" * 64,
            scan_status="not_scanned",
            uploaded_by=child.guardian_user,
        )
        for child in (current, lapsed)
    }  # fmt: skip
    assert allows(world.staff, Action.FILE_VIEW, files[current.pk])
    assert not allows(world.staff, Action.FILE_VIEW, files[lapsed.pk])
    visible = filter_allowed(world.staff, Action.FILE_VIEW, StoredFile.objects.all())
    assert list(visible) == [files[current.pk]]


# --- the facility's pages keep what the facility needs -----------------------------------------


def test_the_facility_home_lists_only_children_with_a_live_relationship(client, world):
    current, lapsed = world.child(), world.child()
    current.given_name, lapsed.given_name = "今", "昔"
    Child.objects.bulk_update([current, lapsed], ["given_name"])
    world.visit(current, TODAY + dt.timedelta(days=2))
    world.visit(lapsed, EDGE - dt.timedelta(days=1))
    login_with_second_factor(client, world.staff)
    page = client.get(reverse("portals:facility")).content.decode()
    assert "今" in page and "昔" not in page
    assert client.get(reverse("families:child", args=[lapsed.pk])).status_code == 404
    assert client.get(reverse("families:child", args=[current.pk])).status_code == 200


def test_an_old_day_keeps_names_and_times_but_not_care_needs(
    client, world, django_capture_on_commit_callbacks
):
    child = world.child()
    child.allergies, child.pickup_persons = ["そば"], ["祖母"]
    child.save()
    old_day = EDGE - dt.timedelta(days=1)
    world.visit(child, old_day)
    login_with_second_factor(client, world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        old = client.get(reverse("attendance:staff_day"), {"date": old_day.isoformat()})
    body = old.content.decode()
    assert old.status_code == 200
    assert child.full_name in body and "そば" not in body and "祖母" not in body
    events = AuditEvent.objects.filter(object_type="families.child", object_id=str(child.pk))
    assert [(e.action, e.field_names) for e in events] == [("list", ["family_name", "given_name"])]
    # A new visit opens the relationship again: the same old day now shows the care needs.
    world.visit(child, TODAY + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        again = client.get(reverse("attendance:staff_day"), {"date": old_day.isoformat()})
    assert "そば" in again.content.decode()
    assert events.filter(action="read").exists()


def test_the_day_screen_shows_care_needs_for_todays_children(world):
    child = world.child()
    child.allergies = ["卵"]
    child.save()
    world.visit(child, TODAY)
    with acting_as(actor_for(world.staff)):
        page = day_screen.day_for(world.staff)
    [visit] = [v for s in page.slots for v in s.visits]
    assert visit.care and visit.child.allergies == ["卵"]


def test_claims_of_past_months_reach_their_children_through_the_claim(client, world):
    """The relationship ended (certification over, no visit since November): the facility's
    November claim still shows the child's lines; the profile is closed."""
    scene.set_policy(world.ward, scene.SHINJUKU_LIKE)
    child = world.child(valid_from=dt.date(2026, 4, 1), valid_to=dt.date(2026, 12, 31))
    manager = scene.manager_of(world.facility)
    scene.visit(child, world.facility, dt.date(2026, 11, 5), dt.time(10), dt.time(12))
    with clock.frozen(scene.NOW):
        [claim] = billing.generate_claims(manager, 2026, 11)
    assert not live(manager, child)
    login_with_second_factor(client, manager)
    page = client.get(reverse("billing:claim", args=[claim.pk]))
    assert page.status_code == 200 and child.full_name in page.content.decode()
    _name, csv_bytes, _zip = exported(client, reverse("billing:claim_csv", args=[claim.pk]))
    assert child.family_name in csv_bytes.decode("utf-8-sig")
    # Generating the month again (a correction before submission) still finds the visit.
    again = billing.generate_claims(manager, 2026, 11)
    assert [c.pk for c in again] == [claim.pk]
    assert claim.lines.filter(child=child).count() == 1
    assert client.get(reverse("families:child", args=[child.pk])).status_code == 404


# --- the payments officer -----------------------------------------------------------------------


def test_the_payments_officer_reads_who_but_never_care_records(world):
    child = world.child()
    assert allows(world.payments, Action.CHILD_VIEW, child)
    assert not allows(world.payments, Action.CHILD_CARE_VIEW, child)
    assert allows(world.reviewer, Action.CHILD_CARE_VIEW, child)
    certificate, evidence = (
        StoredFile.objects.create(
            municipality=world.ward, household=child.household,
            child=child if purpose == Purpose.DOCTOR_CERTIFICATE else None,
            purpose=purpose, original_name="x.pdf", content_type="application/pdf", size=1,
            sha256="0" * 64, scan_status="not_scanned",
            uploaded_by=child.guardian_user,
        )
        for purpose in (Purpose.DOCTOR_CERTIFICATE, Purpose.FEE_EVIDENCE)
    )  # fmt: skip
    assert not allows(world.payments, Action.FILE_VIEW, certificate)
    assert allows(world.payments, Action.FILE_VIEW, evidence)
    assert allows(world.reviewer, Action.FILE_VIEW, certificate)


def test_the_payments_officer_reads_certificates_and_fee_classes_without_changing_them(
    client, world, django_capture_on_commit_callbacks
):
    child = world.child()
    number = child.certifications.get().number
    HouseholdFeeClass.objects.create(
        household=child.household, fee_class=FeeClass.TAX_EXEMPT, valid_from=dt.date(2026, 4, 1)
    )
    login_with_second_factor(client, world.payments)
    assert client.get(reverse("families:child", args=[child.pk])).status_code == 404
    page = reverse("certification:staff_fee_class", args=[child.pk])
    response = client.get(page)
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        number in body
        and 'id="certificates"' in body
        # No form that changes anything: the notice is a download (a protected export).
        and 'name="fee_class"' not in body
        and reverse("certification:staff_end", args=[child.pk]) not in body
    )
    before = (HouseholdFeeClass.objects.count(), AuditEvent.objects.filter(action="update").count())
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(page, {"fee_class": "public_assistance", "valid_from": "2027-02-01"})
    assert refused.status_code == 404
    after = (HouseholdFeeClass.objects.count(), AuditEvent.objects.filter(action="update").count())
    assert after == before
    # The ward's home links the payments officer to that page, never to the profile.
    home = client.get(reverse("portals:municipality")).content.decode()
    assert page in home and reverse("families:child", args=[child.pk]) not in home
