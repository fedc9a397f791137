"""Siblings booked both or neither; cancelling before and after the deadline; a facility's
cancellation."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import Http404
from django.utils import translation

from tests import factories as f
from tests.booking.scene import NOW, class_of, scene, set_policy, sibling
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.booking import services
from tsuen.booking.models import Booking, BookingStatus
from tsuen.booking.signals import place_freed
from tsuen.certification.models import CertificationStatus
from tsuen.core import clock, tenancy

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def two_children(s, *, same_class=False):
    birth = s.child.birth_date if same_class else s.child.birth_date - dt.timedelta(days=365)
    younger = sibling(s.fam, s.facility, s.day, staff=s.staff, birth_date=birth)
    slot = s.slot
    if not same_class:
        slot = f.place_slot(s.facility, s.day, age_class=class_of(birth, s.day), capacity=3)
    return younger, slot


# --- siblings --------------------------------------------------------------------------------


def test_siblings_of_two_age_classes_are_booked_together():
    s = scene()
    younger, younger_slot = two_children(s)
    assert younger_slot.age_class != s.slot.age_class
    with clock.frozen(NOW):
        bookings = services.book_siblings(s.user, [s.child.pk, younger.pk], s.slot.pk, T(10), T(12))
    assert {(b.child_id, b.place_slot_id) for b in bookings} == {
        (s.child.pk, s.slot.pk),
        (younger.pk, younger_slot.pk),
    }


def test_siblings_with_an_explicit_slot_per_child():
    s = scene()
    younger, younger_slot = two_children(s)
    with clock.frozen(NOW):
        bookings = services.book_siblings(
            s.user,
            [s.child.pk, younger.pk],
            {s.child.pk: s.slot.pk, younger.pk: younger_slot.pk},
            T(10),
            T(12),
        )
    assert len(bookings) == 2


@pytest.mark.parametrize("what", ["not_certified", "full", "cap"])
def test_siblings_are_booked_both_or_neither(what):
    s = scene()
    younger, younger_slot = two_children(s)
    if what == "not_certified":
        younger.certifications.update(status=CertificationStatus.ENDED)
    elif what == "full":
        s.fill(younger_slot)
    else:
        other = f.place_slot(f.facility(s.muni), dt.date(2026, 12, 2), age_class=s.slot.age_class)
        f.booking(s.child, other, s.user, start=T(8), end=T(17, 30))
    before = Booking.unscoped.count()
    with clock.frozen(NOW), pytest.raises(services.BookingRefused) as caught:
        services.book_siblings(s.user, [s.child.pk, younger.pk], s.slot.pk, T(10), T(12))
    assert Booking.unscoped.count() == before
    assert caught.value.code == {"not_certified": "not_certified", "full": "full",
                                 "cap": "cap_exceeded"}[what]  # fmt: skip


def test_twins_need_a_place_each():
    s = scene(capacity=3)
    twin, _slot = two_children(s, same_class=True)
    s.fill(n=2)
    with clock.frozen(NOW), pytest.raises(services.BookingRefused) as caught:
        services.book_siblings(s.user, [s.child.pk, twin.pk], s.slot.pk, T(10), T(12))
    assert caught.value.code == "full"
    assert Booking.unscoped.filter(child__in=[s.child, twin]).count() == 0


def test_a_siblings_refusal_records_both_names_its_answer_shows():
    """The family's confirm step answers the refusal with both children's names: recorded
    with the refusal, as for one child."""
    from tsuen.audit.models import AuditEvent

    s = scene(capacity=3)
    twin, _slot = two_children(s, same_class=True)
    s.fill(n=2)
    with clock.frozen(NOW), pytest.raises(services.BookingRefused) as caught:
        services.book_siblings(
            s.user, [s.child.pk, twin.pk], s.slot.pk, T(10), T(12), names_on_refusal=True
        )
    assert caught.value.code == "full" and caught.value.names_recorded
    listed = AuditEvent.objects.filter(action="list").values_list("subject_child_ids", flat=True)
    assert sorted(pk for ids in listed for pk in ids) == sorted([s.child.pk, twin.pk])


def test_siblings_must_be_two_children_of_one_household():
    s = scene()
    with pytest.raises(services.BookingRefused) as caught:
        services.book_siblings(s.user, [s.child.pk], s.slot.pk, T(10), T(12))
    assert caught.value.message == "Choose at least two children to book together."
    stranger = s.another_family()
    with pytest.raises(Http404):
        services.book_siblings(s.user, [s.child.pk, stranger.child.pk], s.slot.pk, T(10), T(12))


# --- cancelling ------------------------------------------------------------------------------


@pytest.fixture
def freed():
    calls = []

    def receiver(sender, place_slot, now, **kwargs):
        calls.append((place_slot.pk, now))

    place_freed.connect(receiver, dispatch_uid="test-place-freed")
    yield calls
    place_freed.disconnect(dispatch_uid="test-place-freed")


def booked(s):
    with clock.frozen(NOW):
        return services.book(s.user, s.child.pk, s.slot.pk, T(10), T(12))


def test_cancelling_before_the_deadline_frees_the_hours_and_the_place(
    freed, django_capture_on_commit_callbacks
):
    s = scene()
    booking = booked(s)
    at = dt.datetime(2026, 12, 9, 17, 0)  # the deadline itself is still on time
    with clock.frozen(at) as now, django_capture_on_commit_callbacks(execute=True):
        cancelled = services.cancel(s.user, booking.pk)
    assert cancelled.status == BookingStatus.CANCELLED
    assert not cancelled.counts_toward_caps
    assert cancelled.cancelled_at == now
    assert freed == [(s.slot.pk, now)]
    with clock.frozen(at):
        p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert p.caps[0].used == 0 and p.places_left == 3


def test_cancelling_after_the_deadline_is_late_and_counts(
    freed, django_capture_on_commit_callbacks
):
    s = scene()
    booking = booked(s)
    with (
        clock.frozen(dt.datetime(2026, 12, 9, 17, 1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        cancelled = services.cancel(s.user, booking.pk)
        p = services.preview(s.user, s.child.pk, s.slot.pk, T(13), T(14))
    assert cancelled.status == BookingStatus.LATE_CANCELLED
    assert cancelled.counts_toward_caps
    assert p.caps[0].used == 120  # the hours count
    assert p.places_left == 3  # but the place is free again
    assert len(freed) == 1


def test_a_late_cancellation_does_not_count_where_the_policy_says_so():
    import dataclasses

    s = scene()
    set_policy(
        s.muni,
        dataclasses.replace(rules.national_default_policy(2026), late_cancellation_counts=False),
    )
    booking = booked(s)
    with clock.frozen(dt.datetime(2026, 12, 10, 8, 0)):
        cancelled = services.cancel(s.user, booking.pk)
    assert cancelled.status == BookingStatus.LATE_CANCELLED
    assert not cancelled.counts_toward_caps


def test_the_deadline_is_the_facilitys_wards():
    import dataclasses

    s = scene()
    set_policy(
        s.muni,
        dataclasses.replace(
            rules.national_default_policy(2026),
            cancel_deadline_days_before=0,
            cancel_deadline_time=T(8),
        ),
    )
    booking = booked(s)
    deadline, late = services.cancellation_terms(booking, NOW)
    assert deadline.isoformat() == "2026-12-10T08:00:00+09:00" and not late


def test_a_cancelled_or_started_booking_cannot_be_cancelled_and_strangers_get_404():
    s = scene()
    booking = booked(s)
    with (
        clock.frozen(dt.datetime(2026, 12, 10, 10, 0)),
        pytest.raises(services.BookingRefused) as e,
    ):
        services.cancel(s.user, booking.pk)
    assert e.value.message == "This visit has already begun, so it cannot be cancelled."
    with pytest.raises(Http404):
        services.cancel(s.another_family().user, booking.pk)
    with clock.frozen(NOW):
        services.cancel(s.user, booking.pk)
        with pytest.raises(services.BookingRefused) as e:
            services.cancel(s.user, booking.pk)
    assert e.value.code == "not_cancellable"


def test_the_facility_cancels_hours_return_and_nobody_else_may():
    s = scene()
    booking = booked(s)
    other = booked_other = None
    other = s.another_family()
    with clock.frozen(NOW):
        booked_other = services.book(other.user, other.child.pk, s.slot.pk, T(13), T(15))
    staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
    stranger = f.user(Role.FACILITY_MANAGER, facility=f.facility(s.muni))
    with pytest.raises(Http404):
        services.cancel_by_facility(stranger, [booking.pk], "休園")
    with pytest.raises(Http404):
        services.cancel_by_facility(s.user, [booking.pk], "休園")
    with clock.frozen(NOW):
        done = services.cancel_by_facility(staff, [booking.pk, booked_other.pk], "感染症のため休園")
    assert {b.status for b in done} == {BookingStatus.CANCELLED_BY_FACILITY}
    assert not any(b.counts_toward_caps for b in done)
    with clock.frozen(NOW):
        assert services.cancel_by_facility(staff, [booking.pk], "again") == []
        p = services.preview(s.user, s.child.pk, s.slot.pk, T(10), T(12))
    assert p.caps[0].used == 0 and p.ok


@pytest.mark.django_db(transaction=True)
def test_the_family_is_told_when_the_facility_cancels():
    with tenancy.cross_tenant("test"):
        s = scene()
        booking = booked(s)
        staff = f.user(Role.FACILITY_STAFF, facility=s.facility)
        mail.outbox.clear()
        with clock.frozen(NOW):
            services.cancel_by_facility(staff, [booking.pk], "感染症のため休園 & 消毒")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    mine = [m for m in mail.outbox if s.user.email in m.to]
    assert len(mine) == 2  # the confirmation, then the facility's cancellation
    message = mine[-1]
    assert "感染症のため休園 & 消毒" in message.body  # plain text: nothing HTML-escaped
    assert "/bookings/" in message.body
    assert s.facility.name in message.subject


@pytest.mark.parametrize(
    ("at", "says"),
    [
        (dt.datetime(2026, 12, 9, 17, 0), "利用時間は元に戻りました"),
        (dt.datetime(2026, 12, 9, 17, 1), "利用したものとして数えます"),
    ],
)
def test_the_family_gets_an_email_when_it_cancels(
    at, says, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    s = scene()
    booking = booked(s)
    other = f.user()  # the household's second guardian hears of it too
    f.guardian(s.child.household, other)
    mail.outbox.clear()
    with clock.frozen(at), django_capture_on_commit_callbacks(execute=True):
        services.cancel(s.user, booking.pk)
    [message] = [m for m in mail.outbox if s.user.email in m.to]
    assert [m.subject for m in mail.outbox if other.email in m.to] == [message.subject]
    assert s.facility.name in message.subject
    assert says in message.body
    assert "10:00–12:00" in message.body and "/bookings/" in message.body
