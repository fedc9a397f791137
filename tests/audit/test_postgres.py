"""PostgreSQL only: the append-only trigger, the person indexes, and concurrent writers."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from tests import factories as f
from tests.audit.helpers import chain_of, tamper
from tsuen.audit import Action, record, record_many, verify_chain
from tsuen.audit import services as audit_services
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key

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
def test_concurrent_writers_build_one_unbroken_chain_per_municipality():
    a, b = f.municipality(), f.municipality()
    _, _, kid_a = f.family(a)
    kids_b = [f.family(b)[2] for _ in range(3)]

    def work(i: int) -> None:
        for _ in range(10):
            record(Action.READ, kid_a, ["family_name"])
            record_many(Action.LIST, kids_b)  # three events in b's chain at once
            record(Action.LOGIN_FAILED)  # the national chain

    errors = run_in_threads(8, work)
    assert errors == []
    for muni, expected in ((a, 80), (b, 240), (None, 80)):
        seqs = list(
            AuditEvent.objects.in_municipality(muni).order_by("seq").values_list("seq", flat=True)
        )
        assert seqs == list(range(1, expected + 1))  # no duplicate, no gap
        result = verify_chain(getattr(muni, "pk", None))
        assert result.ok and result.events_checked == expected


@pytest.mark.django_db(transaction=True)
def test_control_without_the_head_lock_the_unique_constraint_stops_a_fork(monkeypatch):
    """Proves the concurrency test can see the bug: with the lock switched off, two writers
    both take the same sequence number, and the (chain, seq) constraint refuses the second."""
    muni = f.municipality()
    record(Action.READ, muni)  # the chain head exists
    both_read = threading.Barrier(2)

    def unlocked_head(municipality_id):
        head = AuditChainHead.objects.get(key=chain_key(municipality_id))  # no FOR UPDATE
        both_read.wait(timeout=10)
        return head

    monkeypatch.setattr(audit_services, "_locked_head", unlocked_head)
    errors = run_in_threads(2, lambda i: record(Action.READ, muni))
    assert [type(error) for error in errors] == [IntegrityError]
    assert AuditEvent.objects.count() == 2
    assert verify_chain(muni.pk).ok


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
