"""The booking service: every rule refuses with its own message and writes nothing."""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, birth_for, class_of, scene, set_policy
from tests.queued import queued_mail
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.booking import services
from tsuen.booking.models import Booking, BookingKind, BookingStatus
from tsuen.certification.models import CertificationStatus
from tsuen.core import clock
from tsuen.facilities.models import ClosureDay, InterviewStatus
from tsuen.municipalities.models import MunicipalPolicy

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture(autouse=True)
def _frozen_and_english():
    with clock.frozen(NOW), translation.override("en"):
        yield


TEN, NOON = T(10), T(12)


def refused(s, start=TEN, end=NOON, child=None, slot=None, user=None, **kw):
    before = Booking.unscoped.count()
    with pytest.raises(services.BookingRefused) as caught:
        user = user or s.user
        services.book(user, (child or s.child).pk, (slot or s.slot).pk, start, end, **kw)
    assert Booking.unscoped.count() == before, "a refused booking wrote a row"
    return caught.value


def test_a_booking_that_keeps_every_rule_is_confirmed_audited_and_notified(
    django_capture_on_commit_callbacks,
):
    s = scene()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.book(s.user, s.child.pk, s.slot.pk, T(10), T(11, 30))
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.kind == BookingKind.FLEXIBLE
    assert booking.billable_minutes == 90
    assert booking.facility == s.facility and booking.booked_by == s.user
    assert booking.counts_toward_caps
    event = AuditEvent.objects.get(object_type="booking.booking", object_id=str(booking.pk))
    assert event.action == "create" and event.subject_child_ids == [s.child.pk]
    # The notice, queued in the booking's transaction (as the audit event is written).
    assert [to for to, _subject, _body in queued_mail()] == [s.user.email]


# Each rule: how to break it, the code, and the message the family reads.
def _suspended(s):
    s.facility.suspended = True
    s.facility.save()


def _no_flexible(s):
    s.facility.offers_flexible = False
    s.facility.save()


def _closed(s):
    ClosureDay.objects.create(facility=s.facility, date=s.day, reason="研修")


def _no_policy(s):
    MunicipalPolicy.unscoped.filter(municipality=s.muni).delete()


def _not_certified(s):
    s.child.certifications.update(status=CertificationStatus.ENDED)


def _certified_later(s):
    s.child.certifications.update(valid_from=s.day + dt.timedelta(days=1))


def _interview_pending(s):
    s.child.interviews.update(status=InterviewStatus.REQUESTED)


def _interview_elsewhere(s):
    s.child.interviews.update(facility=f.facility(s.muni))


def _other_class(s):
    s.slot.age_class = (s.slot.age_class + 1) % 3
    s.slot.save()


def _overlap(s):
    other = f.place_slot(f.facility(s.muni), s.day, age_class=s.slot.age_class)
    f.booking(s.child, other, s.user, start=T(11), end=T(13))


def _full(s):
    s.fill()


def _cap(s):
    # 9 hours already this month at another facility; 2 more would make 11 > 10.
    other = f.place_slot(f.facility(s.muni), dt.date(2026, 12, 3), age_class=s.slot.age_class)
    f.booking(s.child, other, s.user, start=T(8), end=T(17))


RULES = [
    (_suspended, "facility_suspended", "This facility is not taking bookings at the moment."),
    (_no_flexible, "kind_not_offered", "This facility does not offer this kind of use."),
    (_closed, "facility_closed", "The facility is closed on this day (研修)."),
    (
        _no_policy,
        "no_policy",
        "The municipality has not yet set its rules for this day, so it cannot be booked yet.",
    ),
    (_not_certified, "not_certified", "試験 太郎 is not certified on this day."),
    (_certified_later, "not_certified", "試験 太郎 is not certified on this day."),
    (
        _interview_pending,
        "no_interview",
        "試験 太郎 needs an accepted first interview at this facility before booking a visit.",
    ),
    (
        _interview_elsewhere,
        "no_interview",
        "試験 太郎 needs an accepted first interview at this facility before booking a visit.",
    ),
    (_other_class, "wrong_age_class", "These places are for age class"),
    (_overlap, "overlap", "試験 太郎 already has a booking at this time."),
    (_full, "full", "There is no place left at this time. You can join the waitlist."),
    (
        _cap,
        "cap_exceeded",
        "試験 太郎 would go over the limit of 10 hours (1 Dec 2026 to 31 Dec 2026): "
        "9 hours are already booked or used, and this visit adds 2.",
    ),
]


@pytest.mark.parametrize(("breaks", "code", "message"), RULES, ids=[r[0].__name__ for r in RULES])
def test_each_rule_refuses_with_its_message_and_writes_nothing(breaks, code, message):
    s = scene()
    breaks(s)
    error = refused(s)
    assert error.code == code, [p.code for p in error.problems]
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    ("start", "end", "code", "message"),
    [
        (T(10), T(10, 30), "booking_too_short", "A visit lasts at least 60 minutes."),
        (
            T(10),
            T(11, 15),
            "booking_off_step_grid",
            "A visit lasts 60 minutes and then goes in steps of 30 minutes.",
        ),
        (T(12), T(10), "visit_end_not_after_start", "The end must be after the start."),
        (T(8), T(10), "outside_slot", "Choose a time between 09:00 and 17:00."),
        (T(16), T(18), "outside_slot", "Choose a time between 09:00 and 17:00."),
    ],
)
def test_times_must_fit_the_grid_and_the_slot(start, end, code, message):
    error = refused(scene(), start, end)
    assert error.code == code
    assert error.message == message


def test_a_visit_that_has_begun_cannot_be_booked():
    s = scene(day=NOW.date())
    error = refused(s, T(9, 30), T(11))
    assert error.code == "in_past"
    assert error.message == "This time has already begun or passed."


def test_the_booking_window_opens_the_policys_days_ahead():
    s = scene(day=dt.date(2027, 1, 2))  # 32 days after 1 December
    error = refused(s)
    assert error.code == "window_not_open"
    assert error.message == "Bookings open 31 days ahead: this day can be booked from 2 Dec 2026."
    with clock.frozen(dt.datetime(2026, 12, 2, 0, 0)):
        services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))


def test_too_young_and_aged_out_children_are_refused():
    s = scene()
    young = s.another_family(birth_date=s.day - dt.timedelta(days=100))
    baby = young.child
    slot0 = f.place_slot(s.facility, s.day, age_class=0, starts_at=T(9, 30))
    error = refused(s, child=baby, slot=slot0, user=young.user)
    assert error.code == "too_young"
    assert error.message == f"{baby.full_name} is not old enough to attend on this day."

    # Born 2023-12-12: reaches 3 on 2026-12-11, so 2026-12-10 is the national last day.
    older = s.another_family(birth_date=dt.date(2023, 12, 12))
    almost_three = older.child
    slot2 = f.place_slot(s.facility, s.day, age_class=2, starts_at=T(9, 15))
    services.book(older.user, almost_three.pk, slot2.pk, T(10), T(12))
    later = f.place_slot(s.facility, s.day + dt.timedelta(days=1), age_class=2)
    error = refused(s, child=almost_three, slot=later, user=older.user)
    assert error.code == "aged_out"
    assert (
        error.message == f"{almost_three.full_name} is past the age for this programme on this day."
    )


def test_every_problem_is_listed_not_only_the_first():
    s = scene()
    _suspended(s)
    _closed(s)
    _full(s)
    error = refused(s, T(10), T(10, 30))
    assert {"facility_suspended", "facility_closed", "full", "booking_too_short"} <= {
        p.code for p in error.problems
    }


def test_a_late_cancellation_counts_towards_the_cap_but_an_early_one_does_not():
    s = scene()
    other = f.place_slot(f.facility(s.muni), dt.date(2026, 12, 3), age_class=s.slot.age_class)
    f.booking(s.child, other, s.user, start=T(8), end=T(17), status=BookingStatus.CANCELLED,
              counts_toward_caps=False)  # fmt: skip
    services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    f.booking(s.child, other, s.user, start=T(8), end=T(16), status=BookingStatus.LATE_CANCELLED)
    later = f.place_slot(s.facility, dt.date(2026, 12, 11), age_class=s.slot.age_class)
    assert refused(s, slot=later).code == "cap_exceeded"  # 2 + 8 used, 2 more is 12


def test_a_facility_cancellation_gives_the_hours_back():
    s = scene()
    other = f.place_slot(f.facility(s.muni), dt.date(2026, 12, 3), age_class=s.slot.age_class)
    f.booking(s.child, other, s.user, start=T(8), end=T(17),
              status=BookingStatus.CANCELLED_BY_FACILITY, counts_toward_caps=False)  # fmt: skip
    services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))


def test_places_of_other_slots_and_cancelled_bookings_do_not_fill_a_slot():
    s = scene(capacity=1)
    [taken] = s.fill()
    taken.status = BookingStatus.CANCELLED
    taken.save()
    f.booking(s.another_family().child, f.place_slot(s.facility, s.day, age_class=2,
              starts_at=T(9, 30)), s.user)  # fmt: skip
    services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))


def test_only_the_family_books_for_a_child():
    s = scene()
    stranger = s.another_family()
    with pytest.raises(Http404):
        services.book(stranger.user, s.child.pk, s.slot.pk, T(10), T(12))
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    with pytest.raises(Http404):
        services.book(staff, s.child.pk, s.slot.pk, T(10), T(12))
    with pytest.raises(Http404):
        services.book(s.user, s.child.pk, 999_999, T(10), T(12))
    assert not Booking.unscoped.exists()


def test_a_proxy_user_books_for_the_household():
    from tsuen.families.models import ProxyGrant

    s = scene()
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=s.fam.household, user=proxy, granted_by=s.user)
    booking = services.book(proxy, s.child.pk, s.slot.pk, T(10), T(12))
    assert booking.booked_by == proxy


def test_a_child_of_another_ward_books_a_facility_there():
    s = scene()
    home = f.municipality(name="乙区")
    set_policy(home)
    visitor = f.family(home, birth_date=birth_for(s.day))
    f.certification(visitor[2], f.user(Role.MUNICIPAL_REVIEWER, municipality=home),
                    valid_from=dt.date(2026, 4, 1), valid_to=dt.date(2027, 3, 31))  # fmt: skip
    f.interview(visitor[2], s.facility, visitor[0])
    assert class_of(visitor[2].birth_date, s.day) == s.slot.age_class
    booking = services.book(visitor[0], visitor[2].pk, s.slot.pk, T(10), T(12))
    assert booking.facility.municipality == s.muni


def test_the_policy_of_the_childs_municipality_sets_the_length_rules():
    s = scene()
    set_policy(s.muni, rules.Policy(2026, billing_minimum_minutes=120, billing_step_minutes=60))
    assert refused(s, T(10), T(11)).code == "booking_too_short"
    services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))


@pytest.mark.postgres_only  # the exclusion constraint is PostgreSQL's
def test_an_overlap_the_database_catches_at_the_insert_is_a_refusal_that_writes_nothing(
    monkeypatch,
):
    """The rules saw no overlap, then one appeared before the insert (as a booking from a path
    that does not lock the child could): the database's exclusion constraint refuses the row,
    and the service answers "overlap" with its transaction rolled back, nothing written."""
    s = scene()

    def slip_one_in():
        f.booking(s.child, s.slot, s.user, start=T(11), end=T(13))

    monkeypatch.setattr(services, "before_write", slip_one_in)
    error = refused(s, TEN, NOON)
    assert error.code == "overlap"
    assert not Booking.unscoped.filter(child=s.child).exists()  # the slipped-in row too
    assert not queued_mail()


def _listed(child) -> list[str]:
    """The audit trail's records of ``child``'s name being shown (the refused page's)."""
    rows = AuditEvent.objects.filter(action="list").values_list("subject_child_ids", "field_names")
    return [",".join(fields) for ids, fields in rows if child.pk in ids]


@pytest.mark.parametrize("names", [True, False])
def test_a_refusal_whose_answer_names_the_child_records_that_read_with_it(names):
    """The family's confirm step answers a refusal with the child's name: the service records
    that read in the refusal's own transaction (``names_recorded`` tells the view); a caller
    that shows no name (the waitlist) records none."""
    s = scene()
    s.fill()
    error = refused(s, names_on_refusal=names)
    assert error.code == "full"
    assert error.names_recorded is names
    assert _listed(s.child) == (["birth_date,family_name,given_name"] if names else [])


@pytest.mark.postgres_only  # the exclusion constraint is PostgreSQL's
def test_a_refusal_after_a_rolled_back_insert_still_records_the_names_it_shows(monkeypatch):
    """The overlap the database caught rolls the transaction back, the record with it: the
    read of the child's name is recorded after the rollback."""
    s = scene()
    monkeypatch.setattr(
        services, "before_write", lambda: f.booking(s.child, s.slot, s.user, start=T(11), end=T(13))
    )
    error = refused(s, TEN, NOON, names_on_refusal=True)
    assert error.code == "overlap" and error.names_recorded
    assert _listed(s.child) == ["birth_date,family_name,given_name"]


@pytest.mark.parametrize("checked_out", [True, False])
def test_a_checked_out_visit_counts_its_real_times_towards_the_cap(checked_out):
    """The visits read with the facts count as the hours page counts them: a child booked
    08:00-12:00 and picked up at 14:30 used six and a half hours of the month's ten, and four
    more are too many; not yet picked up, the booked four, and four more fit."""
    from tsuen.attendance.models import Attendance, AttendanceStatus

    s = scene()
    other = f.place_slot(f.facility(s.muni), dt.date(2026, 12, 1), age_class=s.slot.age_class)
    earlier = f.booking(s.child, other, s.user, start=T(8), end=T(12))
    tokyo = dt.timezone(dt.timedelta(hours=9))
    Attendance.unscoped.create(
        booking=earlier,
        status=AttendanceStatus.PRESENT,
        checked_in_at=dt.datetime(2026, 12, 1, 8, 0, tzinfo=tokyo),
        checked_out_at=dt.datetime(2026, 12, 1, 14, 30, tzinfo=tokyo) if checked_out else None,
        recorded_by=s.user,
    )
    if checked_out:  # 6.5 h + 4 h
        error = refused(s, T(10), T(14))
        assert error.code == "cap_exceeded" and "6.5 hours are already" in error.message
    else:  # 4 h + 4 h of the month's 10
        assert services.book(s.user, s.child.pk, s.slot.pk, T(10), T(14)).billable_minutes == 240
