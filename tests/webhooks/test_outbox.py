"""Issue 13 item 5: the outbox. Every path that changes a booking, a visit, a certification or
a claim writes its event in its own transaction -- a rolled-back change leaves none -- and the
relay gives each event to the endpoints that may receive it, and to no other."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tests import factories as f
from tests.attendance.conftest import VISIT_DAY, Visit
from tests.billing import scene as billing_scene
from tests.billing.ward import payments_officer, submitted_claim
from tests.booking.scene import NOW, scene
from tsuen.accounts.models import Role
from tsuen.attendance import services_qr
from tsuen.attendance import services_staff as staff_services
from tsuen.billing import services_review
from tsuen.booking import services as booking
from tsuen.booking.models import Booking
from tsuen.certification import lifecycle
from tsuen.certification.models import EndReason
from tsuen.core import clock
from tsuen.families.models import FeeClass
from tsuen.webhooks import delivery, services
from tsuen.webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db
URL = "https://127.0.0.1:9/hook"  # loopback: allowed in tests; nothing is sent here
T = dt.time
TZ = dt.timezone(dt.timedelta(hours=9))


#: Before every event of these tests (an endpoint gets the events after it was registered).
EARLY = dt.datetime(2026, 11, 1, 9, 0, tzinfo=TZ)


def facility_endpoint(facility, events, at=None):
    manager = f.user(Role.FACILITY_MANAGER, facility=facility)
    with clock.frozen(at or clock.now()):
        return services.create(manager, URL, events)[0]


def ward_endpoint(ward, events):
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    return services.create(admin, URL, events)[0]


def received(endpoint) -> list[tuple[str, dict]]:
    """What the relay gave ``endpoint``, in its order."""
    delivery.fan_out()
    return [
        (d.event.type, d.event.data)
        for d in Delivery.unscoped.filter(endpoint=endpoint).select_related("event").order_by("pk")
    ]


class Boom(Exception):
    pass


def test_a_rolled_back_booking_leaves_no_event():
    with clock.frozen(NOW):
        s = scene()
        facility_endpoint(s.facility, ["booking.created"])
        with pytest.raises(Boom), transaction.atomic():
            booking.book(s.user, s.child.pk, s.slot.pk, T(10), T(11))
            assert Event.unscoped.count() == 1  # written, inside the transaction
            raise Boom
    assert not Booking.unscoped.filter(child=s.child).exists()
    assert Event.unscoped.count() == 0


def test_a_refused_check_out_leaves_no_event():
    visit = Visit()
    endpoint = facility_endpoint(visit.facility, ["attendance.checked_out"], at=EARLY)
    at = dt.datetime.combine(VISIT_DAY, T(10), tzinfo=TZ)
    with clock.frozen(at), pytest.raises(ValidationError) as refused:
        staff_services.check_out(visit.staff, visit.booking.pk)
    assert refused.value.code == "not_in"
    assert received(endpoint) == []


def test_a_facility_without_an_endpoint_writes_no_event():
    with clock.frozen(NOW):
        s = scene()
        other = scene()
        facility_endpoint(other.facility, ["booking.created"])  # another ward's facility
        made = booking.book(s.user, s.child.pk, s.slot.pk, T(10), T(11))
        booking.cancel(s.user, made.pk)
    assert Event.unscoped.count() == 0


def test_the_facility_day_emits_check_in_check_out_and_cancelled_days():
    visit = Visit()
    endpoint = facility_endpoint(
        visit.facility,
        ["attendance.checked_in", "attendance.checked_out", "booking.cancelled"],
        at=EARLY,
    )
    later = f.booking(f.family(visit.ward)[2], visit.slot, visit.guardian)
    with clock.frozen(dt.datetime.combine(VISIT_DAY, T(9, 58), tzinfo=TZ)):
        staff_services.check_in(visit.staff, visit.booking.pk)
    with clock.frozen(dt.datetime.combine(VISIT_DAY, T(12), tzinfo=TZ)):
        staff_services.check_out(visit.staff, visit.booking.pk)
    # The other child's booking, cancelled by the facility (an outbreak).
    with clock.frozen(dt.datetime.combine(VISIT_DAY, T(12, 5), tzinfo=TZ)):
        booking.cancel_by_facility(visit.staff, [later.pk], "感染症")
    events = received(endpoint)
    assert [t for t, _d in events] == [
        "attendance.checked_in",
        "attendance.checked_out",
        "booking.cancelled",
    ]
    check_in, check_out, cancelled = (d for _t, d in events)
    assert check_in["booking_id"] == visit.booking.pk and check_in["checked_out_at"] is None
    assert check_out["checked_out_at"].startswith("2026-12-01T12:00")
    assert (cancelled["booking_id"], cancelled["status"]) == (later.pk, "cancelled_by_facility")


def test_a_qr_check_in_and_out_emit_as_the_staffs_do():
    """The guardian's QR scan goes through the same locked cores as the day screen's taps
    (attendance.services_staff.check_in_locked / check_out_locked), so it emits too."""
    visit = Visit()
    endpoint = facility_endpoint(
        visit.facility, ["attendance.checked_in", "attendance.checked_out"], at=EARLY
    )
    for hour, action in ((10, "check_in"), (12, "check_out")):
        moment = dt.datetime.combine(VISIT_DAY, T(hour), tzinfo=TZ)
        code = services_qr.code_for(visit.facility.pk, services_qr.minute_of(moment))
        with clock.frozen(moment):
            services_qr.self_check(
                visit.guardian, visit.facility.pk, code, visit.booking.pk, action
            )
    events = received(endpoint)
    assert [t for t, _d in events] == ["attendance.checked_in", "attendance.checked_out"]
    assert all(d["booking_id"] == visit.booking.pk for _t, d in events)


def test_cancelling_a_whole_day_emits_each_booking_cancelled():
    visit = Visit()
    endpoint = facility_endpoint(visit.facility, ["booking.cancelled"], at=EARLY)
    with clock.frozen(dt.datetime.combine(VISIT_DAY - dt.timedelta(days=1), T(9), tzinfo=TZ)):
        effects = staff_services.cancel_day_effects(visit.staff, VISIT_DAY, None, "休園")
        staff_services.cancel_day(visit.staff, VISIT_DAY, "休園", confirm_token=effects.token)
    assert received(endpoint) == [("booking.cancelled", received(endpoint)[0][1])]
    assert received(endpoint)[0][1]["booking_id"] == visit.booking.pk


def test_ending_a_certification_emits_it_to_the_ward_and_the_cancelled_booking_to_both():
    with clock.frozen(NOW):
        s = scene()
        made = booking.book(s.user, s.child.pk, s.slot.pk, T(10), T(11))
        mine = facility_endpoint(s.facility, ["booking.cancelled"])
        ward = ward_endpoint(s.muni, ["certification.changed", "booking.cancelled"])
        lifecycle.end_certification(s.staff, s.child.pk, EndReason.MOVED_OUT, NOW.date())
    assert received(mine) == [("booking.cancelled", received(mine)[0][1])]
    assert received(mine)[0][1]["booking_id"] == made.pk
    types = [t for t, _d in received(ward)]
    assert types == ["certification.changed", "booking.cancelled"]
    change = received(ward)[0][1]
    assert change["change"] == "ended" and change["valid_to"] == NOW.date().isoformat()


def test_a_fee_class_change_says_so_without_the_fee_class():
    with clock.frozen(NOW):
        s = scene()
        ward = ward_endpoint(s.muni, ["certification.changed"])
        lifecycle.set_fee_class(s.staff, s.child.pk, FeeClass.TAX_EXEMPT, dt.date(2026, 12, 1))
    [(kind, data)] = received(ward)
    assert (kind, data["change"], data["child_id"]) == (
        "certification.changed",
        "fee_class_changed",
        s.child.pk,
    )
    assert FeeClass.TAX_EXEMPT.value not in str(data)


def test_a_claims_status_changes_reach_the_paying_ward():
    ward = billing_scene.ward()
    with clock.frozen(billing_scene.NOW - dt.timedelta(days=1)):
        endpoint = ward_endpoint(ward, ["claim.status_changed"])
    claim, _manager, _child = submitted_claim(ward)
    officer = payments_officer(ward)
    with clock.frozen(billing_scene.NOW):
        services_review.approve(officer, claim.pk)
        services_review.mark_paid(officer, claim.pk, billing_scene.NOW.date())
    statuses = [(t, d["claim_id"], d["status"]) for t, d in received(endpoint)]
    assert statuses == [
        ("claim.status_changed", claim.pk, "submitted"),
        ("claim.status_changed", claim.pk, "approved"),
        ("claim.status_changed", claim.pk, "paid"),
    ]


def test_each_event_goes_to_the_endpoints_that_may_receive_it_only():
    with clock.frozen(NOW):
        s = scene()
        other_facility = f.facility(s.muni)
        mine = facility_endpoint(s.facility, ["booking.created"])
        not_chosen = facility_endpoint(s.facility, ["booking.cancelled"])
        elsewhere = facility_endpoint(other_facility, ["booking.created"])
        ward = ward_endpoint(s.muni, ["booking.created"])
        other_ward = ward_endpoint(f.municipality(), ["booking.created"])
        booking.book(s.user, s.child.pk, s.slot.pk, T(10), T(11))
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        too_late = facility_endpoint(s.facility, ["booking.created"])  # after the event
    assert len(received(mine)) == 1 and len(received(ward)) == 1
    for endpoint in (not_chosen, elsewhere, other_ward, too_late):
        assert received(endpoint) == []


def test_a_ward_endpoint_for_bookings_turns_every_facility_of_the_ward_on():
    s = scene()
    other = f.facility(s.muni)
    endpoint = ward_endpoint(s.muni, ["booking.created"])
    flags = {x.pk: x.webhooks_enabled for x in (s.facility, other)}
    assert flags == {s.facility.pk: False, other.pk: False}  # the rows as loaded before
    s.facility.refresh_from_db()
    other.refresh_from_db()
    assert s.facility.webhooks_enabled and other.webhooks_enabled
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=s.muni)
    services.set_enabled(admin, endpoint.pk, False)
    s.facility.refresh_from_db()
    assert not s.facility.webhooks_enabled


def test_a_certification_issued_reaches_the_ward():
    from tests.certification.conftest import answers, evidence
    from tsuen.certification import services as certification

    ward = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    ward.name = "新宿区"  # the factory numbers its names; the applicant's postal code is 新宿区's
    ward.save()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    with clock.frozen(EARLY):
        endpoint = ward_endpoint(ward, ["certification.changed"])
    applicant = f.user(Role.GUARDIAN)
    application = f.started_application(applicant, ward.pk)
    certification.submit(applicant, application.pk, answers(), evidence())
    token = certification.decision_effects(reviewer, application.pk, "certify").token
    [issued] = certification.certify(reviewer, application.pk, None, confirm_token=token)
    [(kind, data)] = received(endpoint)
    assert (kind, data["change"], data["certification_id"]) == (
        "certification.changed",
        "issued",
        issued.pk,
    )
    assert set(data) == {
        "certification_id", "child_id", "change", "status", "valid_from", "valid_to",
    }  # fmt: skip
