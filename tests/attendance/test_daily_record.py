"""The facility's daily record (連絡帳): a draft stays with the facility, a published record is
the family's to read, and every read and write is audited."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance import services
from tsuen.attendance.models import DailyRecord, RecordStatus
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.core.context import acting_as, actor_for

pytestmark = pytest.mark.django_db

EVENING = dt.datetime(2026, 12, 1, 18, 0)
CONTENT = dict(
    meals="完食", nap="11:15-11:50", mood="ごきげん", toileting="おむつ2回", temperature="36.6",
    notes="積み木で高い塔を作りました。",
)  # fmt: skip


def write(visit, publish, **changes):
    with clock.frozen(EVENING), acting_as(actor_for(visit.staff)):
        return services.write_daily_record(
            visit.staff, visit.booking.pk, **(CONTENT | changes), publish=publish
        )


def page(client, visit):
    return client.get(reverse("attendance:daily_record", args=[visit.booking.pk]))


def test_a_draft_is_invisible_to_the_family(client, visit):
    write(visit, publish=False)
    with pytest.raises(Http404):
        services.daily_record_for(visit.guardian, visit.booking.pk)
    client.force_login(visit.guardian)
    assert page(client, visit).status_code == 404
    with clock.frozen(EVENING):
        listed = client.get(reverse("attendance:visits")).content.decode()
    assert reverse("attendance:daily_record", args=[visit.booking.pk]) not in listed


def test_the_facility_sees_its_draft(client, visit):
    write(visit, publish=False)
    login_with_second_factor(client, visit.staff)
    assert page(client, visit).status_code == 200


def test_a_published_record_is_visible_to_the_family(client, visit):
    daily = write(visit, publish=True)
    assert daily.status == RecordStatus.PUBLISHED
    assert daily.published_at == timezone.make_aware(EVENING)
    client.force_login(visit.guardian)
    body = page(client, visit).content.decode()
    assert "積み木で高い塔を作りました。" in body and "36.6" in body
    with clock.frozen(EVENING):
        listed = client.get(reverse("attendance:visits")).content.decode()
    assert reverse("attendance:daily_record", args=[visit.booking.pk]) in listed


def test_publishing_a_draft_later(visit):
    write(visit, publish=False)
    write(visit, publish=True, mood="とてもごきげん")
    daily = DailyRecord.objects.get()
    assert (daily.status, daily.mood) == (RecordStatus.PUBLISHED, "とてもごきげん")
    assert services.daily_record_for(visit.guardian, visit.booking.pk) == daily


def test_a_published_record_cannot_go_back_to_draft(visit):
    write(visit, publish=True)
    with pytest.raises(ValidationError) as refused:
        write(visit, publish=False, notes="書き直し")
    assert refused.value.code == "already_published"
    assert DailyRecord.objects.get().notes == CONTENT["notes"]


def test_only_staff_of_the_visits_facility_write_it(visit):
    for outsider in (visit.other_staff, visit.guardian):
        with clock.frozen(EVENING), pytest.raises(Http404):
            services.write_daily_record(outsider, visit.booking.pk, **CONTENT, publish=True)
    assert not DailyRecord.objects.exists()


def test_not_before_the_visit_day(visit):
    with clock.frozen(dt.datetime(2026, 11, 30, 18, 0)), pytest.raises(ValidationError):
        services.write_daily_record(visit.staff, visit.booking.pk, **CONTENT, publish=True)
    assert not DailyRecord.objects.exists()


@pytest.mark.parametrize("temperature", ["34.0", "43", "36.66"])
def test_temperature_is_checked_here_too(visit, temperature):
    with pytest.raises(ValidationError) as refused:
        write(visit, publish=True, temperature=temperature)
    assert "temperature" in refused.value.error_dict
    assert not DailyRecord.objects.exists()


def test_temperature_may_be_left_out(visit):
    assert write(visit, publish=True, temperature="").temperature is None


def test_another_family_gets_404(client, visit):
    write(visit, publish=True)
    stranger, _, _ = f.family(visit.ward)
    with pytest.raises(Http404):
        services.daily_record_for(stranger, visit.booking.pk)
    client.force_login(stranger)
    assert page(client, visit).status_code == 404


def test_writes_and_reads_are_audited(client, visit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        write(visit, publish=False)
        write(visit, publish=True)
    client.force_login(visit.guardian)
    with django_capture_on_commit_callbacks(execute=True):
        page(client, visit)
    events = list(AuditEvent.objects.filter(object_type="attendance.dailyrecord").order_by("id"))
    assert [(e.action, e.actor_id) for e in events] == [
        ("create", visit.staff.pk),
        ("update", visit.staff.pk),
        ("read", visit.guardian.pk),
    ]
    assert all(e.subject_child_ids == [visit.child.pk] for e in events)
    assert "notes" in events[-1].field_names


def test_the_visits_list_shows_the_familys_visits_with_notes(client, visit):
    with clock.frozen(dt.datetime(2026, 12, 1, 8, 0)):
        services.write_morning_note(
            visit.guardian, visit.booking.pk, health="元気", temperature="36.4", pickup_person="母"
        )
        client.force_login(visit.guardian)
        body = client.get(reverse("attendance:visits")).content.decode()
    assert "一花" in body and "36.4" in body
    assert reverse("attendance:morning_note", args=[visit.booking.pk]) in body


def test_the_visits_list_is_the_familys_only(client, visit):
    login_with_second_factor(client, visit.staff)
    assert client.get(reverse("attendance:visits")).status_code == 404
    stranger, _, _ = f.family(visit.ward)
    client.force_login(stranger)
    assert "一花" not in client.get(reverse("attendance:visits")).content.decode()


def test_the_visits_list_query_count_does_not_grow_with_history(
    client, visit, django_assert_max_num_queries
):
    client.force_login(visit.guardian)
    url = reverse("attendance:visits")

    def add_past_visits(n, start):
        for i in range(n):
            day = start + dt.timedelta(days=i)
            booking = f.booking(visit.child, f.place_slot(visit.facility, day), visit.guardian)
            DailyRecord.objects.create(
                booking=booking, notes="-", status=RecordStatus.PUBLISHED, written_by=visit.staff
            )

    add_past_visits(3, dt.date(2026, 10, 1))
    with clock.frozen(EVENING), django_assert_max_num_queries(30) as small:
        client.get(url)
    add_past_visits(30, dt.date(2026, 6, 1))
    with clock.frozen(EVENING), django_assert_max_num_queries(len(small.captured_queries)):
        assert "一花" in client.get(url).content.decode()


def test_decimal_is_stored_with_one_decimal(visit):
    assert write(visit, publish=True, temperature="37").temperature == Decimal("37.0")


EMPTY = dict(meals=" ", nap="", mood="", toileting="", temperature="", notes="  ")


def test_an_empty_record_is_not_published(visit):
    """An empty draft may be saved; publishing it (or emptying a published one) is refused."""
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        write(visit, publish=True, **EMPTY)
    assert refused.value.code == "empty"
    assert "empty record cannot be published" in refused.value.messages[0]
    assert not DailyRecord.objects.exists()
    assert write(visit, publish=False, **EMPTY).status == RecordStatus.DRAFT
    write(visit, publish=True, **(EMPTY | {"mood": "ごきげん"}))
    with pytest.raises(ValidationError):
        write(visit, publish=True, **EMPTY)
    assert DailyRecord.objects.get().mood == "ごきげん"


def test_no_daily_record_for_a_child_who_did_not_come(visit):
    from tsuen.attendance.models import Attendance, AttendanceStatus

    Attendance.objects.create(
        booking=visit.booking, status=AttendanceStatus.NO_SHOW, recorded_by=visit.staff
    )
    for publish in (False, True):
        with pytest.raises(ValidationError) as refused, translation.override("en"):
            write(visit, publish=publish)
        assert refused.value.code == "no_show"
        assert refused.value.messages[0].endswith(
            "did not come to this visit: there is no day to record."
        )
    assert not DailyRecord.objects.exists()
