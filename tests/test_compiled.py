"""tsuen.core.compiled: a queryset compiled once answers as the ORM does, with each call's values
(ints, dates, aware datetimes adapted as Django adapts them, on PostgreSQL and SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Exists, OuterRef

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.booking.models import Booking
from tsuen.core import tenancy
from tsuen.core.compiled import CompiledQuery
from tsuen.facilities.models import PlaceSlot

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))


def _slots(facility_id, day, after):
    """A facility's slots on a day, with how many bookings start after ``after``."""
    later = Booking.unscoped.filter(place_slot=OuterRef("pk"), starts_at__gt=after)
    return (
        PlaceSlot.unscoped.filter(facility_id=facility_id, date=day)
        .annotate(later=Exists(later), n=Count("bookings"))
        .order_by("pk")
        .values("id", "age_class", "later", "n")
    )


@pytest.fixture
def scene():
    with tenancy.cross_tenant("test scene"):
        muni = f.municipality()
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
        facilities = [f.facility(muni), f.facility(muni)]
        days = [dt.date(2026, 12, 10), dt.date(2026, 12, 11)]
        _user, _household, kid = f.family(muni, birth_date=dt.date(2024, 4, 10))
        for hours, facility in zip((10, 13), facilities, strict=True):
            for day in days:
                for age_class in (1, 2):
                    slot = f.place_slot(facility, day, age_class=age_class)
                    if age_class == 1 and day == days[0]:
                        start, end = dt.time(hours), dt.time(hours + 2)
                        f.booking(kid, slot, staff, start=start, end=end)
        yield facilities, days


def test_the_compiled_query_answers_as_the_orm_for_every_value(scene):
    facilities, days = scene
    compiled = CompiledQuery(_slots, facility_id="int", day="date", after="datetime")
    with tenancy.cross_tenant("test check"):
        for facility in facilities:
            for day in days:
                for hour in (9, 10, 11):
                    after = dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)
                    expected = [
                        {**row, "later": bool(row["later"])}
                        for row in _slots(facility.pk, day, after)
                    ]
                    got = [
                        {
                            "id": r["id"],
                            "age_class": r["age_class"],
                            "later": bool(r["later"]),
                            "n": r["n"],
                        }
                        for r in compiled.rows(facility_id=facility.pk, day=day, after=after)
                    ]
                    assert got == expected
                    assert len(got) == 2
    # Some answers differ by the values: the values are bound, not the first call's.
    first = compiled.rows(
        facility_id=facilities[0].pk, day=days[0], after=dt.datetime(2026, 12, 10, 9, tzinfo=TOKYO)
    )
    later = compiled.rows(
        facility_id=facilities[0].pk, day=days[0], after=dt.datetime(2026, 12, 10, 11, tzinfo=TOKYO)
    )
    assert [r["later"] for r in first] != [r["later"] for r in later]


def test_one_row_or_lookup_error(scene):
    facilities, _days = scene
    compiled = CompiledQuery(
        lambda slot_id: PlaceSlot.unscoped.filter(pk=slot_id).values("capacity"), slot_id="int"
    )
    slot = PlaceSlot.unscoped.filter(facility=facilities[0]).first()
    assert compiled.row(slot_id=slot.pk) == {"capacity": slot.capacity}
    with pytest.raises(LookupError):
        compiled.row(slot_id=-1)


def test_a_value_the_query_does_not_use_is_refused(scene):
    """A value the statement does not use (or whose adapted placeholder was not found among its
    parameters) would otherwise run with the placeholder in its place: refused at once."""
    compiled = CompiledQuery(
        lambda slot_id, day: PlaceSlot.unscoped.filter(pk=slot_id).values("capacity"),
        slot_id="int",
        day="date",
    )
    with pytest.raises(ValueError, match="day"):
        compiled.rows(slot_id=1, day=dt.date(2026, 12, 10))


def test_objects_are_the_orms_instances_with_related_objects_and_annotations(scene):
    """Model instances as the ORM builds them: the fields through their converters (dates on
    SQLite, the child's encrypted names decrypted), select_related objects, annotations."""
    facilities, days = scene

    def build(facility_id, day):
        return (
            Booking.unscoped.filter(facility_id=facility_id, date=day)
            .select_related("child__household", "place_slot")
            .annotate(n=Count("pk"))
            .order_by("pk")
        )

    compiled = CompiledQuery(build, facility_id="int", day="date")
    with tenancy.cross_tenant("test check"):
        for facility in facilities:
            for day in days:
                expected = list(build(facility.pk, day))
                got = compiled.objects(facility_id=facility.pk, day=day)
                assert [b.pk for b in got] == [b.pk for b in expected]
                for mine, theirs in zip(got, expected, strict=True):
                    assert (mine.date, mine.starts_at, mine.n) == (theirs.date, theirs.starts_at, 1)
                    assert isinstance(mine.date, dt.date)
                    assert mine.child.family_name == theirs.child.family_name
                    assert mine.child.household.pk == theirs.child.household.pk
                    assert mine.place_slot.age_class == theirs.place_slot.age_class
        assert len(compiled.objects(facility_id=facilities[0].pk, day=days[0])) == 1
    values = CompiledQuery(lambda pk: PlaceSlot.unscoped.filter(pk=pk).values("pk"), pk="int")
    with pytest.raises(TypeError):
        values.objects(pk=1)


def test_an_id_no_column_holds_finds_nothing_without_asking(scene):
    """A huge id typed into an address: nothing, as the ORM answers (SQLite would overflow)."""
    compiled = CompiledQuery(lambda pk: PlaceSlot.unscoped.filter(pk=pk).values("pk"), pk="int")
    for huge in (2**63, 10**25, -(2**63) - 1):
        assert compiled.rows(pk=huge) == []
        assert list(PlaceSlot.unscoped.filter(pk=huge)) == []
    models = CompiledQuery(lambda pk: PlaceSlot.unscoped.filter(pk=pk), pk="int")
    assert models.objects(pk=10**25) == []


@pytest.mark.postgres_only
def test_on_postgresql_a_compiled_query_is_prepared_once_and_logged_like_any_other(scene):
    """The server plans a compiled statement once per connection (a prepared statement), and
    Django's query log shows it with its values in place, as it shows the ORM's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    facilities, days = scene
    compiled = CompiledQuery(_slots, facility_id="int", day="date", after="datetime")

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    before = prepared()
    after = dt.datetime(2026, 12, 10, 9, tzinfo=TOKYO)
    with tenancy.cross_tenant("test check"), CaptureQueriesContext(connection) as log:
        for facility in facilities:
            compiled.rows(facility_id=facility.pk, day=days[0], after=after)
    assert prepared() == before + 1  # two runs, one statement prepared
    [first, second] = [q["sql"] for q in log.captured_queries]
    assert first.startswith('SELECT "facilities_placeslot"."id"')
    assert f'"facility_id" = {facilities[0].pk}' in first
    assert f'"facility_id" = {facilities[1].pk}' in second
    # The ORM's own statements stay unprepared (bound on the client: a pooler may forbid it).
    for _ in range(8):  # more often than psycopg's threshold for preparing
        list(PlaceSlot.unscoped.filter(facility_id=facilities[0].pk))
    assert prepared() == before + 1


@pytest.mark.postgres_only
def test_on_postgresql_one_prepared_cursor_serves_a_connection_and_goes_with_it(scene):
    """Compiled statements share one psycopg cursor per connection (kept open by their
    ``with``), each reading its own rows; a new connection gets a new cursor."""
    from django.db import connection, connections

    from tsuen.core.compiled import cursor

    facilities, days = scene
    compiled = CompiledQuery(_slots, facility_id="int", day="date", after="datetime")
    after = dt.datetime(2026, 12, 10, 9, tzinfo=TOKYO)
    with cursor(connection) as first:
        pass
    with cursor(connection) as second:
        assert second.cursor is first.cursor and not second.cursor.closed
    with tenancy.cross_tenant("test check"):
        rows = [compiled.rows(facility_id=f.pk, day=days[0], after=after) for f in facilities]
    assert [len(r) for r in rows] == [2, 2] and rows[0] != rows[1]
    # Another connection (a wrapper of its own, outside the test's transaction) has its own,
    # and a new one after it reconnects.
    other = connections.create_connection("default")
    try:
        with cursor(other) as third:
            assert third.cursor is not first.cursor
            assert third.cursor.connection is other.connection
        other.close()
        with cursor(other) as fourth:
            fourth.execute("SELECT 1")
            assert fourth.cursor is not third.cursor and fourth.fetchall() == [(1,)]
    finally:
        other.close()


# --- compiled.insert ------------------------------------------------------------------------------


def _new_booking(kid, slot, by, hour=9) -> Booking:
    starts = dt.datetime.combine(slot.date, dt.time(hour), tzinfo=TOKYO)
    return Booking(
        child=kid,
        facility=slot.facility,
        place_slot=slot,
        date=slot.date,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        kind="flexible",
        billable_minutes=120,
        booked_by=by,
    )


@pytest.fixture
def family():
    """A ward's staff member, a place slot and a child to book into it."""
    with tenancy.cross_tenant("test"):
        muni = f.municipality()
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
        slot = f.place_slot(f.facility(muni), dt.date(2026, 12, 14), age_class=1)
        _user, _household, kid = f.family(muni, birth_date=dt.date(2024, 4, 10))
        yield muni, staff, slot, kid


def _row(obj) -> dict:
    """Every column of ``obj``'s row as the ORM reads it back."""
    model = type(obj)
    names = [field.attname for field in model._meta.concrete_fields]
    return model._base_manager.filter(pk=obj.pk).values(*names).get()


def test_insert_writes_the_row_save_writes_and_returns_the_new_key(family):
    from django.db.models.signals import post_save

    from tsuen.core import compiled

    _muni, staff, slot, kid = family
    with tenancy.cross_tenant("test"):
        saved = _new_booking(kid, slot, staff)
        saved.save()
        seen = []

        def created(sender, instance, created, **kwargs):
            seen.append((instance, created))

        post_save.connect(created, sender=Booking, dispatch_uid="test-compiled-insert")
        try:
            inserted = compiled.insert(_new_booking(kid, slot, staff, hour=13))
        finally:
            post_save.disconnect(sender=Booking, dispatch_uid="test-compiled-insert")
        assert inserted.pk is not None and inserted.pk != saved.pk
        assert not inserted._state.adding and inserted._state.db == "default"
        assert seen == [(inserted, True)]
        ours, theirs = _row(inserted), _row(saved)
        assert ours["starts_at"] == dt.datetime(2026, 12, 14, 13, tzinfo=TOKYO)
        # auto_now_add stamped as save stamps it; every other column the same
        assert ours.pop("created_at") is not None and theirs.pop("created_at") is not None
        others = {"id": None, "starts_at": None, "ends_at": None}
        assert ours | others == theirs | others
        assert inserted.created_at is not None  # the stamp is on the instance too


def test_insert_writes_a_given_key_as_given():
    """A model whose key the application makes (the task queue's UUIDs) keeps it."""
    import uuid

    from django_tasks_db.models import DBTaskResult

    from tsuen.core import compiled

    key = uuid.uuid4()
    row = compiled.insert(
        DBTaskResult(
            id=key,
            args_kwargs={"args": [1], "kwargs": {}},
            priority=0,
            task_path="tsuen.notices.tasks.send_email",
            queue_name="default",
            backend_name="default",
        )
    )
    assert row.pk == key
    stored = DBTaskResult.objects.get(pk=key)
    assert stored.args_kwargs == {"args": [1], "kwargs": {}} and stored.status == "READY"


def test_insert_is_refused_in_a_read_only_ward_and_writes_nothing(family):
    """The read-only ward's guard listens to pre_save: an insert without save() meets it too."""
    from django.db import transaction

    from tsuen.core import compiled
    from tsuen.incident.guard import WardReadOnly, read_only_wards

    muni, staff, slot, kid = family
    with tenancy.cross_tenant("test"):
        with (
            read_only_wards(frozenset({muni.pk})),
            pytest.raises(WardReadOnly),
            transaction.atomic(),
        ):
            compiled.insert(_new_booking(kid, slot, staff))
        assert not Booking.unscoped.exists()
        other = f.municipality()
        with read_only_wards(frozenset({other.pk})):  # another ward's switch: written
            assert compiled.insert(_new_booking(kid, slot, staff)).pk


def test_insert_refuses_a_model_whose_database_makes_values():
    """A database default (other than the key) or a parent table is save()'s to write."""
    from django.db import models
    from django.db.models.functions import Now
    from django.test.utils import isolate_apps

    from tsuen.core import compiled

    with isolate_apps("tsuen.core"):  # a model of this test only, in a registry of its own

        class Stamped(models.Model):
            at = models.DateTimeField(db_default=Now())

            class Meta:
                app_label = "core"

            def __str__(self) -> str:
                return str(self.at)

        with pytest.raises(TypeError, match="use save"):
            compiled.insert(Stamped())
