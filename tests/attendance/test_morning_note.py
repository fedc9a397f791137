"""The guardian's morning note (登園時の連絡): when it can be written, what it must say, and who
reads it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.attendance.conftest import VISIT_DAY
from tsuen.accounts.models import Role
from tsuen.attendance import services
from tsuen.attendance import services_staff as staff_services
from tsuen.attendance.models import Attendance, AttendanceStatus, MorningNote
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import BookingStatus
from tsuen.core import clock
from tsuen.core.context import acting_as, actor_for
from tsuen.families.models import ProxyGrant

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 12, 1, 8, 0)
MOTHER = "試験 花子（母）"
GOOD = dict(health="元気です。朝ごはんも食べました。", temperature="36.5", pickup_person=MOTHER)


def write(user, booking, **changes):
    return services.write_morning_note(user, booking.pk, **(GOOD | changes))


def test_guardian_writes_the_note_on_the_day(visit):
    with clock.frozen(MORNING):
        note = write(visit.guardian, visit.booking)
    note.refresh_from_db()
    assert note.temperature == Decimal("36.5")
    assert note.pickup_person == "試験 花子（母）"
    assert note.health.startswith("元気")


def test_the_note_can_be_corrected_until_check_in(visit):
    with clock.frozen(MORNING):
        write(visit.guardian, visit.booking)
        write(visit.guardian, visit.booking, temperature="37.1")
    assert MorningNote.objects.get().temperature == Decimal("37.1")


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (dt.datetime(2026, 11, 30, 16, 59), False),
        (dt.datetime(2026, 11, 30, 17, 0), True),  # the evening before
        (dt.datetime(2026, 12, 1, 23, 0), True),
        (dt.datetime(2026, 12, 2, 0, 0), False),  # the day is over
    ],
)
def test_the_note_opens_the_evening_before(visit, at, is_open):
    with clock.frozen(at):
        if is_open:
            write(visit.guardian, visit.booking)
        else:
            with pytest.raises(ValidationError):
                write(visit.guardian, visit.booking)
    assert MorningNote.objects.exists() == is_open


@pytest.mark.parametrize(
    ("temperature", "code"),
    [
        ("34.9", "temperature_out_of_range"),
        ("42.1", "temperature_out_of_range"),
        ("36.55", "temperature_invalid"),
        ("warm", "temperature_invalid"),
        ("NaN", "temperature_invalid"),
        ("", "temperature_required"),
    ],
)
def test_temperature_outside_35_to_42_or_not_one_decimal_is_refused(visit, temperature, code):
    with clock.frozen(MORNING), pytest.raises(ValidationError) as refused:
        write(visit.guardian, visit.booking, temperature=temperature)
    assert refused.value.error_dict["temperature"][0].code == code
    assert not MorningNote.objects.exists()


@pytest.mark.parametrize("temperature", ["35.0", "42.0", "36"])
def test_temperature_bounds_are_inclusive(visit, temperature):
    with clock.frozen(MORNING):
        note = write(visit.guardian, visit.booking, temperature=temperature)
    assert Decimal("35.0") <= note.temperature <= Decimal("42.0")


def test_health_and_pickup_are_required(visit):
    with clock.frozen(MORNING), pytest.raises(ValidationError) as refused:
        write(visit.guardian, visit.booking, health="  ", pickup_person="")
    assert set(refused.value.error_dict) == {"health", "pickup_person"}
    assert not MorningNote.objects.exists()


def test_someone_elses_booking_answers_404(visit):
    stranger, _, _ = f.family(visit.ward)
    with clock.frozen(MORNING), pytest.raises(Http404):
        write(stranger, visit.booking)
    assert not MorningNote.objects.exists()


def test_facility_staff_cannot_write_the_familys_note(visit):
    with clock.frozen(MORNING), pytest.raises(Http404):
        write(visit.staff, visit.booking)


def test_a_proxy_user_may_write_it(visit):
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=visit.household, user=proxy, granted_by=visit.guardian)
    with clock.frozen(MORNING):
        write(proxy, visit.booking)
    assert MorningNote.objects.exists()


def test_not_after_check_in(visit):
    with clock.frozen(MORNING):
        write(visit.guardian, visit.booking)
        Attendance.objects.create(
            booking=visit.booking,
            status=AttendanceStatus.PRESENT,
            checked_in_at=timezone.make_aware(dt.datetime(2026, 12, 1, 9, 55)),
            recorded_by=visit.staff,
        )
        with pytest.raises(ValidationError) as refused:
            write(visit.guardian, visit.booking, temperature="38.0")
    assert refused.value.code == "closed"
    assert MorningNote.objects.get().temperature == Decimal("36.5")


def test_not_for_a_cancelled_booking(visit):
    visit.booking.status = BookingStatus.CANCELLED
    visit.booking.save()
    with clock.frozen(MORNING), pytest.raises(ValidationError):
        write(visit.guardian, visit.booking)


def test_the_facility_reads_the_note_and_the_read_is_audited(
    visit, django_capture_on_commit_callbacks
):
    with clock.frozen(MORNING), django_capture_on_commit_callbacks(execute=True):
        write(visit.guardian, visit.booking)
        with acting_as(actor_for(visit.staff)):
            note = services.morning_note_for(visit.staff, visit.booking.pk)
    assert note.pickup_person == "試験 花子（母）"
    events = AuditEvent.objects.filter(object_type="attendance.morningnote")
    assert [e.action for e in events.order_by("id")] == ["create", "read"]
    assert events.last().actor_id == visit.staff.pk
    assert events.last().subject_child_ids == [visit.child.pk]
    assert "health" in events.last().field_names


def test_another_facility_cannot_read_the_note(visit):
    with clock.frozen(MORNING):
        write(visit.guardian, visit.booking)
    with pytest.raises(Http404):
        services.morning_note_for(visit.other_staff, visit.booking.pk)


def test_no_note_yet_reads_as_none(visit):
    assert services.morning_note_for(visit.staff, visit.booking.pk) is None


# --- the page -------------------------------------------------------------------------------


def url(visit):
    return reverse("attendance:morning_note", args=[visit.booking.pk])


def post(client, visit, **changes):
    data = {"health": "元気です", "temperature": "36.5", "pickup": "1", "pickup_other": ""}
    return client.post(url(visit), data | changes)


def test_the_page_offers_the_childs_pickup_persons(client, visit):
    client.force_login(visit.guardian)
    with clock.frozen(MORNING):
        page = client.get(url(visit)).content.decode()
    assert "試験 花子（母）" in page and "試験 次郎（父）" in page
    assert '<label for="id_temperature"' in page


def test_posting_the_form_saves_the_chosen_pickup_person(client, visit):
    client.force_login(visit.guardian)
    with clock.frozen(MORNING):
        response = post(client, visit)
    assert response.status_code == 302
    assert MorningNote.objects.get().pickup_person == "試験 次郎（父）"


def test_someone_else_is_written_in(client, visit):
    client.force_login(visit.guardian)
    with clock.frozen(MORNING):
        post(client, visit, pickup="other", pickup_other="祖母 試験 梅")
    assert MorningNote.objects.get().pickup_person == "祖母 試験 梅"


def test_bad_input_is_explained_in_japanese_and_writes_nothing(client, visit):
    client.force_login(visit.guardian)
    with clock.frozen(MORNING):
        response = post(client, visit, temperature="43.0", pickup="other", pickup_other="")
    page = response.content.decode()
    assert response.status_code == 400
    assert "35.0" in page and "42.0" in page
    assert not MorningNote.objects.exists()


def test_closed_page_says_why_in_english(client, visit):
    visit.guardian.language = "en"
    visit.guardian.save()
    client.force_login(visit.guardian)
    client.cookies["django_language"] = "en"
    with clock.frozen(dt.datetime(2026, 11, 29, 9, 0)):
        page = client.get(url(visit), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the day before the visit" in page
    assert 'name="temperature"' not in page


def test_someone_elses_booking_page_answers_404(client, visit):
    stranger, _, _ = f.family(visit.ward)
    client.force_login(stranger)
    with clock.frozen(MORNING):
        assert client.get(url(visit)).status_code == 404
        assert post(client, visit).status_code == 404
    assert not MorningNote.objects.exists()


def test_visit_day_constant_matches_the_fixture():
    assert MORNING.date() == VISIT_DAY


def test_lists_of_notes_name_the_child_in_the_audit_trail(
    client, visit, django_capture_on_commit_callbacks
):
    """The family's visit list and the room's day screen read notes in bulk; each read still
    says which child it was about ("who read this child's health note?")."""
    with clock.frozen(MORNING), django_capture_on_commit_callbacks(execute=True):
        note = write(visit.guardian, visit.booking)
        with acting_as(actor_for(visit.guardian)):
            services.visits_for(visit.guardian)
        with acting_as(actor_for(visit.staff)):
            staff_services.day_for(visit.staff, VISIT_DAY)
    reads = AuditEvent.objects.filter(
        object_type="attendance.morningnote", object_id=str(note.pk), action="read"
    )
    assert reads.count() == 2
    assert all(e.subject_child_ids == [visit.child.pk] for e in reads)
