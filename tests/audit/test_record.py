"""Recording events: when they are written, what they hold, and what they never hold."""

import datetime as dt
import logging

import pytest
from django.db import connection, transaction

from tests import factories as f
from tests.audit.helpers import committed, raw_row
from tsuen.accounts.models import Role
from tsuen.audit import Action, record, record_many
from tsuen.audit import services as audit_services
from tsuen.audit.models import AuditEvent
from tsuen.audit.sequencer import seal
from tsuen.core import clock
from tsuen.core.context import Actor, acting_as
from tsuen.families.models import Child
from tsuen.municipalities.models import Municipality

pytestmark = pytest.mark.django_db


# --- in the transaction of the change, and only with it ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_event_is_written_in_the_transaction_of_the_change_unsealed():
    muni = f.municipality()
    with transaction.atomic():
        record(Action.UPDATE, muni)
        event = AuditEvent.objects.get()  # at once, inside the transaction
        assert (event.chain_id, event.seq, event.prev_hash, event.hash) == (None,) * 4
    assert AuditEvent.objects.get().action == Action.UPDATE


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_leaves_no_event():
    muni = f.municipality()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Action.UPDATE, muni)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_event_is_atomic_with_the_write_it_describes(monkeypatch):
    """Both or neither: a committed change has its event, and a change whose event cannot be
    written is rolled back with it (the request fails, nothing changes unrecorded)."""
    muni = f.municipality(name="旧名")
    with transaction.atomic():
        Municipality.objects.filter(pk=muni.pk).update(name="新名")
        record(Action.UPDATE, muni, ["name"])
    assert Municipality.objects.get(pk=muni.pk).name == "新名"
    assert AuditEvent.objects.get().field_names == ["name"]

    def broken_append(drafts):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(audit_services, "_append", broken_append)
    with pytest.raises(RuntimeError), transaction.atomic():
        Municipality.objects.filter(pk=muni.pk).update(name="三番目")
        record(Action.UPDATE, muni, ["name"])
    assert Municipality.objects.get(pk=muni.pk).name == "新名"
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_event_is_written_at_once():
    """A read view runs in autocommit: the event exists before the data is returned."""
    record(Action.READ, f.municipality())
    assert AuditEvent.objects.count() == 1


def test_rolled_back_savepoint_drops_only_its_own_events():
    muni = f.municipality()
    with committed():
        record(Action.READ, muni)
        with pytest.raises(RuntimeError), transaction.atomic():
            record(Action.UPDATE, muni)
            raise RuntimeError
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [Action.READ]


def test_failed_write_is_logged_with_its_content_and_raised(monkeypatch, caplog):
    """Never lost silently: the request fails, and the error log keeps what happened."""

    def broken_append(drafts):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(audit_services, "_append", broken_append)
    _, _, kid = f.family(f.municipality())
    with caplog.at_level(logging.ERROR, "tsuen.audit"), pytest.raises(RuntimeError), committed():
        record(Action.READ, kid, ["family_name"])
    [message] = [r.getMessage() for r in caplog.records if r.name == "tsuen.audit"]
    assert "could not be written" in message
    assert '"object_type": "families.child"' in message
    assert f'"object_id": "{kid.pk}"' in message
    assert kid.given_name not in message


# --- what an event holds -------------------------------------------------------------------------


def test_event_records_actor_role_address_request_and_time():
    muni = f.municipality()
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
    actor = Actor(
        user_id=staff.pk,
        role=staff.role,
        municipality_id=muni.pk,
        source_address="2001:DB8:0:0::1",
        request_id="req-42",
    )
    at = dt.datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    with acting_as(actor), clock.frozen(at), committed():
        record(Action.READ, muni)
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_role, event.actor_municipality_id) == (
        staff.pk,
        Role.MUNICIPAL_REVIEWER,
        muni.pk,
    )
    assert event.source_address == "2001:db8::1"  # one spelling, so searches find it
    assert event.request_id == "req-42"
    assert event.occurred_at == at
    assert (event.object_type, event.object_id) == ("municipalities.municipality", str(muni.pk))


def test_an_event_never_holds_the_values_it_is_about():
    muni = f.municipality()
    _, _, kid = f.family(
        muni,
        family_name="鷺宮",
        given_name="紬希",
        family_name_kana="サギノミヤ",
        given_name_kana="ツムギ",
        birth_date=dt.date(2024, 7, 19),
    )
    kid.family_name = "東雲"
    kid.save()
    with committed():
        record(Action.UPDATE, kid, ["family_name"])
    event = AuditEvent.objects.get()
    assert event.field_names == ["family_name"]
    row = " ".join(str(value) for value in raw_row(event.pk).values())
    for value in ("鷺宮", "東雲", "紬希", "サギノミヤ", "ツムギ", "2024-07-19", "20240719"):
        assert value not in row


def test_a_value_passed_as_a_field_name_is_refused():
    _, _, kid = f.family(f.municipality(), family_name="鷺宮")
    with pytest.raises(ValueError, match="never values"):
        record(Action.UPDATE, kid, [kid.family_name])
    with pytest.raises(TypeError):
        record(Action.UPDATE, kid, "family_name")


def test_unknown_action_and_unsaved_target_are_refused():
    muni = f.municipality()
    with pytest.raises(ValueError, match="unknown audit action"):
        record("peeked", muni)
    with pytest.raises(ValueError, match="unsaved"):
        record(Action.CREATE, Child())


def test_document_hash_must_be_a_sha256():
    muni = f.municipality()
    with pytest.raises(ValueError):
        record(Action.EXPORT, muni, document_sha256="not a hash")
    digest = "ab" * 32
    with committed():
        record(Action.EXPORT, muni, document_sha256=digest)
    assert AuditEvent.objects.get().document_sha256 == digest


# --- which people and which chain ----------------------------------------------------------------


def test_people_are_found_from_the_target_and_its_foreign_keys():
    home, other = f.municipality(), f.municipality()
    account, hh, kid = f.family(home)
    mother = hh.guardians.get()
    booking = f.booking(kid, f.place_slot(f.facility(other), dt.date(2026, 12, 1)), account)
    with committed():
        record(Action.READ, kid)
        record(Action.READ, mother)
        record(Action.READ, booking)
        record(Action.READ, hh, subjects=[kid, mother])
    people = {
        e.object_type: (e.subject_child_ids, e.subject_guardian_ids)
        for e in AuditEvent.objects.all()
    }
    assert people == {
        "families.child": ([kid.pk], []),
        "families.guardian": ([], [mother.pk]),
        "booking.booking": ([kid.pk], []),
        "families.household": ([kid.pk], [mother.pk]),
    }


def test_a_subject_that_names_no_person_is_refused():
    muni = f.municipality()
    _, hh, _ = f.family(muni)
    with pytest.raises(ValueError, match="not a saved person"):
        record(Action.READ, muni, subjects=[hh])


def test_chain_is_the_targets_owning_municipality():
    home, other = f.municipality(), f.municipality()
    account, hh, kid = f.family(home)
    booking = f.booking(kid, f.place_slot(f.facility(other), dt.date(2026, 12, 1)), account)
    staff = f.user(Role.MUNICIPAL_ADMIN, municipality=other)
    with committed():
        record(Action.READ, kid)  # household__municipality
        record(Action.READ, hh)  # municipality
        record(Action.READ, home)  # the municipality itself
        record(Action.READ, booking)  # the first tenant path: the facility's ward
        record(Action.LOGIN, staff)  # a staff account belongs to its municipality
        record(Action.LOGIN, account)  # a guardian account belongs to none: national
        record(Action.LOGIN_FAILED)  # no target: national
        record(Action.READ, kid, municipality_id=other.pk)  # explicit wins
    chains = list(AuditEvent.objects.order_by("id").values_list("municipality_id", flat=True))
    assert chains == [home.pk, home.pk, home.pk, other.pk, other.pk, None, None, other.pk]


def test_record_many_writes_one_event_per_row_in_bulk(django_assert_max_num_queries):
    a, b = f.municipality(), f.municipality()
    kids = [f.family(a)[2] for _ in range(15)] + [f.family(b)[2] for _ in range(5)]
    with committed():  # both chains exist from here on
        record(Action.READ, a)
        record(Action.READ, b)
    seal()
    # One query finds the rows' municipalities, one inserts every event: no chain head is read.
    with django_assert_max_num_queries(2):
        record_many(Action.LIST, kids, ["family_name", "given_name", "birth_date"])
    seal()
    listed = AuditEvent.objects.filter(action=Action.LIST).order_by("municipality_id", "seq")
    assert [e.subject_child_ids for e in listed] == [[k.pk] for k in kids]
    assert [e.seq for e in listed] == [*range(2, 17), *range(2, 7)]
    assert {tuple(e.field_names) for e in listed} == {("birth_date", "family_name", "given_name")}


def test_the_owner_is_read_from_rows_loaded_with_the_target(django_assert_num_queries):
    """A child loaded with its household (``select_related``) names its ward without a lookup;
    the same events as for children loaded alone (which take one lookup)."""
    a, b = f.municipality(), f.municipality()
    for muni in (a, b, a):
        f.family(muni)
    fields = ["family_name", "given_name"]
    loaded = list(Child.unscoped.select_related("household").order_by("pk"))
    alone = list(Child.unscoped.order_by("pk"))
    with committed():
        with django_assert_num_queries(1):  # the insert only
            record_many(Action.LIST, loaded, fields)
        with django_assert_num_queries(2):  # the owners' lookup, the insert
            record_many(Action.LIST, alone, fields)
    chains = list(AuditEvent.objects.order_by("id").values_list("municipality_id", flat=True))
    assert chains == [a.pk, b.pk, a.pk] * 2


def test_record_many_of_nothing_writes_nothing():
    with committed():
        record_many(Action.LIST, [])
    assert not AuditEvent.objects.exists()


# --- the questions -------------------------------------------------------------------------------


def test_who_saw_this_child_across_chains_and_who_changed_it():
    home, other = f.municipality(), f.municipality()
    account, _, kid = f.family(home)
    _, _, other_kid = f.family(home)
    booking = f.booking(kid, f.place_slot(f.facility(other), dt.date(2026, 12, 1)), account)
    reviewer = Actor(user_id=101, role=Role.MUNICIPAL_REVIEWER, municipality_id=home.pk)
    nursery = Actor(user_id=202, role=Role.FACILITY_STAFF)
    with committed():
        with acting_as(reviewer):
            record(Action.READ, kid, ["family_name"])
            record(Action.UPDATE, kid, ["given_name"])
            record(Action.READ, other_kid)
        with acting_as(nursery):
            record_many(Action.LIST, [booking])

    saw_kid = AuditEvent.objects.touching_child(kid).reads()
    assert sorted(saw_kid.values_list("actor_id", "municipality_id")) == [
        (101, home.pk),
        (202, other.pk),
    ]
    changed = AuditEvent.objects.for_object(kid).changes()
    assert list(changed.values_list("actor_id", "field_names")) == [(101, ["given_name"])]
    assert AuditEvent.objects.by_actor(202).count() == 1


def test_person_lookup_matches_whole_ids_only():
    muni = f.municipality()
    with committed():
        record(Action.READ, muni, subjects=[Child(pk=1)])
        record(Action.READ, muni, subjects=[Child(pk=11), Child(pk=21)])
    assert AuditEvent.objects.touching_child(1).count() == 1
    assert AuditEvent.objects.touching_child(21).count() == 1
    assert AuditEvent.objects.touching_child(2).count() == 0
    assert AuditEvent.objects.touching_guardian(1).count() == 0


def test_lookups_run_on_this_database():
    """has_id compiles to jsonb containment on PostgreSQL and json_each on SQLite."""
    sql = str(AuditEvent.objects.touching_child(7).query)
    expected = "@>" if connection.vendor == "postgresql" else "json_each"
    assert expected in sql
