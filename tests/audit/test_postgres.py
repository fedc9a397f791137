"""PostgreSQL only: the append-only trigger, the person indexes, and concurrent writers."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from tests import factories as f
from tests.audit.helpers import chain_of, raw_row, tamper
from tsuen.audit import Action, record, record_many, sequencer, verify_chain
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key
from tsuen.audit.sequencer import seal, seal_batch

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

REPO = Path(__file__).resolve().parents[2]


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET object_id = '999' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_audit_rows(sql):
    [event] = chain_of(f.municipality(), 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, [event.pk])
    assert AuditEvent.objects.get().object_id == event.object_id


def test_tampering_needs_the_trigger_switched_off_and_the_chain_then_tells():
    muni = f.municipality()
    chain = chain_of(muni, 3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk])
    assert verify_chain(muni.pk).broken_event_id == chain[2].pk


def test_person_columns_have_gin_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "gin (subject_child_ids jsonb_path_ops)" in definitions
    assert "gin (subject_guardian_ids jsonb_path_ops)" in definitions


# --- concurrency: real threads, each with its own connection ------------------------------------


def run_in_threads(count: int, work) -> list[BaseException]:
    """Start ``count`` threads together on ``work(i)``; return the exceptions they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            start.wait(timeout=10)
            work(i)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_two_sealers_build_one_unbroken_chain_per_municipality():
    a, b = f.municipality(), f.municipality()
    _, _, kid_a = f.family(a)
    kids_b = [f.family(b)[2] for _ in range(3)]
    writing = threading.Event()
    writing.set()

    def work(i: int) -> None:
        if i >= 8:  # two sequencers, sealing while the writers append
            while writing.is_set():
                seal(batch_size=7)
            seal(batch_size=7)
            return
        for _ in range(10):
            record(Action.READ, kid_a, ["family_name"])
            record_many(Action.LIST, kids_b)  # three events in b's chain at once
            record(Action.LOGIN_FAILED)  # the national chain

    def writers_then_stop(i: int) -> None:
        try:
            work(i)
        finally:
            if i == 0:
                writing.clear()

    errors = run_in_threads(10, writers_then_stop)
    assert errors == []
    seal()  # what the writers appended after the sealers' last round
    for muni, expected in ((a, 80), (b, 240), (None, 80)):
        seqs = list(
            AuditEvent.objects.in_municipality(muni).order_by("seq").values_list("seq", flat=True)
        )
        assert seqs == list(range(1, expected + 1))  # every event sealed, no duplicate, no gap
        result = verify_chain(getattr(muni, "pk", None))
        assert result.ok and result.events_checked == expected and result.unsealed == 0


def test_control_a_sealer_with_a_stale_head_is_stopped_by_the_unique_constraint(monkeypatch):
    """Should the head lock ever be bypassed, a second sealer numbering from the same head
    cannot fork the chain: the (chain, seq) constraint refuses the duplicate seq."""
    muni = f.municipality()
    chain_of(muni, 1)
    stale = AuditChainHead.objects.get(key=chain_key(muni.pk))
    chain_of(muni, 1)  # another sealer moved the head on
    record(Action.READ, muni)
    monkeypatch.setattr(sequencer, "locked_head", lambda municipality_id: stale)
    with pytest.raises(IntegrityError), transaction.atomic():
        seal_batch(muni.pk)
    assert verify_chain(muni.pk).ok


@pytest.mark.django_db(transaction=True)
def test_appending_takes_no_lock_on_the_chain_head():
    """Another connection holds the head row locked (as a sequencer does while sealing); a
    request still appends at once. Control: sealing that chain must wait for the lock."""
    muni = f.municipality()
    record(Action.READ, muni)
    seal()  # the head row exists
    locked, release = threading.Event(), threading.Event()

    def hold_the_head(i: int) -> None:
        with transaction.atomic():
            AuditChainHead.objects.select_for_update().get(key=chain_key(muni.pk))
            locked.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=run_in_threads, args=(1, hold_the_head))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with transaction.atomic():
            execute("SET LOCAL lock_timeout = '2s'")
            record(Action.UPDATE, muni)
            record_many(Action.LIST, [muni])
        record(Action.READ, muni)  # and in autocommit
        assert AuditEvent.objects.filter(seq__isnull=True).count() == 3
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            execute("SET LOCAL lock_timeout = '200ms'")
            seal()
    finally:
        release.set()
        holder.join(timeout=30)
    assert seal() == 3
    assert verify_chain(muni.pk).events_checked == 4


# --- the append-only trigger lets exactly the seal through ------------------------------------


def test_the_database_lets_the_sequencer_seal_an_event():
    muni = f.municipality()
    record(Action.READ, muni)
    seal()
    assert verify_chain(muni.pk).events_checked == 1


@pytest.mark.parametrize(
    "sql",
    [
        # a sealed event cannot be re-sealed, unsealed, or edited
        "UPDATE audit_auditevent SET seq = seq + 100, hash = %(h)s WHERE id = %(id)s",
        "UPDATE audit_auditevent SET seq = NULL, prev_hash = NULL, hash = NULL, chain_id = NULL "
        "WHERE id = %(id)s",
        "UPDATE audit_auditevent SET object_id = '999' WHERE id = %(id)s",
    ],
)
def test_the_database_refuses_every_change_to_a_sealed_event(sql):
    [event] = chain_of(f.municipality(), 1)
    before = raw_row(event.pk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, {"h": "f" * 64, "id": event.pk})
    assert raw_row(event.pk) == before and before["seq"] == 1


@pytest.mark.parametrize(
    "sql",
    [
        # sealing and changing anything else at once
        "UPDATE audit_auditevent SET seq = 1, prev_hash = %(h)s, hash = %(h)s, "
        "chain_id = %(chain)s, object_id = '999' WHERE id = %(id)s",
        # a part of the seal only
        "UPDATE audit_auditevent SET seq = 1 WHERE id = %(id)s",
        # an unsealed event's content
        "UPDATE audit_auditevent SET actor_id = 4242 WHERE id = %(id)s",
        "DELETE FROM audit_auditevent WHERE id = %(id)s",
    ],
)
def test_the_database_refuses_anything_but_the_seal_on_an_unsealed_event(sql):
    muni = f.municipality()
    chain_of(muni, 1)
    chain = AuditChainHead.objects.get(key=chain_key(muni.pk))
    record(Action.READ, muni)
    event = AuditEvent.objects.get(seq__isnull=True)
    before = raw_row(event.pk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, {"h": "f" * 64, "chain": chain.pk, "id": event.pk})
    assert raw_row(event.pk) == before


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_append_and_seal_loses_nothing():
    """A process appends and dies before any seal; a sealer dies mid-batch, after its UPDATE,
    before its commit. A fresh sealer process then seals every event, in order."""
    muni = f.municipality()
    appended = manage(
        "shell",
        "-c",
        "import os\n"
        "from tsuen.audit import Action, record\n"
        "from tsuen.municipalities.models import Municipality\n"
        f"muni = Municipality.objects.get(pk={muni.pk})\n"
        "for _ in range(5): record(Action.READ, muni)\n"
        "os._exit(9)\n",
    )
    assert appended.returncode == 9, appended.stderr
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 5

    died = manage(
        "shell",
        "-c",
        "import os\n"
        "from tsuen.audit import sequencer\n"
        "store = sequencer._store_seals\n"
        "def store_then_die(head, events):\n"
        "    store(head, events)\n"
        "    os._exit(9)\n"
        "sequencer._store_seals = store_then_die\n"
        "sequencer.seal(batch_size=2)\n",
    )
    assert died.returncode == 9, died.stderr
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 5  # its batch rolled back

    sealer = manage("seal_audit_chain", "--batch-size", "2")
    assert (sealer.returncode, sealer.stdout) == (0, "sealed 5 audit events\n"), sealer.stderr
    result = verify_chain(muni.pk)
    assert result.ok and (result.events_checked, result.unsealed) == (5, 0)
    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


@pytest.mark.django_db(transaction=True)
def test_the_long_running_sequencer_seals_events_within_seconds():
    muni = f.municipality()
    env = os.environ | {
        "TSUEN_DB": "postgresql",
        "TSUEN_PG_NAME": connection.settings_dict["NAME"],
        "TSUEN_PG_HOST": settings.DATABASES["default"]["HOST"],
        "TSUEN_PG_PORT": str(settings.DATABASES["default"]["PORT"]),
    }
    sequencer_process = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "seal_audit_chain", "--loop", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(3):
            record(Action.READ, muni)
        deadline = time.monotonic() + 60  # the process starts Django first
        while AuditEvent.objects.filter(seq__isnull=True).exists():
            assert time.monotonic() < deadline, "not sealed within 60 s"
            time.sleep(0.1)
        record(Action.UPDATE, muni)  # and it keeps going
        while AuditEvent.objects.filter(seq__isnull=True).exists():
            assert time.monotonic() < deadline, "not sealed within 60 s"
            time.sleep(0.1)
    finally:
        sequencer_process.send_signal(signal.SIGINT)
        out, err = sequencer_process.communicate(timeout=30)
    assert sequencer_process.returncode == 0, err
    assert "stopped" in out
    assert verify_chain(muni.pk).events_checked == 4


# --- the command as a process --------------------------------------------------------------------


def manage(*args: str) -> subprocess.CompletedProcess:
    """Run manage.py against this test database, as cron would run it in production."""
    env = os.environ | {
        "TSUEN_DB": "postgresql",
        "TSUEN_PG_NAME": connection.settings_dict["NAME"],
        "TSUEN_PG_HOST": settings.DATABASES["default"]["HOST"],
        "TSUEN_PG_PORT": str(settings.DATABASES["default"]["PORT"]),
    }
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_command_exit_status_from_the_shell():
    muni = f.municipality()
    chain = chain_of(muni, 3)
    ok = manage("verify_audit_chain", "--municipality", muni.code)
    assert (ok.returncode, ok.stdout.split()[0]) == (0, "OK")

    tamper("UPDATE audit_auditevent SET object_type = 'x' WHERE id = %s", [chain[0].pk])
    broken = manage("verify_audit_chain")
    assert broken.returncode == 1
    assert f"first broken event id={chain[0].pk} seq=1: hash mismatch" in broken.stdout
    assert "audit chain broken" in broken.stderr
