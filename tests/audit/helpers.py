"""Builders and tampering tools for the audit tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.test import TestCase

from tsuen.audit import Action, record
from tsuen.audit.models import AuditEvent
from tsuen.audit.sequencer import seal


@contextmanager
def committed() -> Iterator[None]:
    """Run the block's on-commit callbacks at its end, as a commit of the test's transaction
    would (pytest-django keeps each test inside one transaction that never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


@contextmanager
def sealed() -> Iterator[None]:
    """Seal the events appended in the block into their chains at its end, as the sequencer
    would within seconds in production."""
    yield
    seal()


def chain_of(municipality, count: int, action: str = Action.READ) -> list[AuditEvent]:
    """Append ``count`` events about ``municipality`` and seal them; return its whole chain."""
    with sealed():
        for _ in range(count):
            record(action, municipality)
    return list(AuditEvent.objects.in_municipality(municipality).order_by("seq"))


@contextmanager
def append_only_trigger_off() -> Iterator[None]:
    """Tamper as the table owner could: switch PostgreSQL's append-only trigger off.

    ALTER TABLE is transactional in PostgreSQL, so the test's rollback restores the trigger
    even if the block fails. It refuses to run while deferred foreign-key checks of rows
    inserted in this transaction are pending, so those are checked first. SQLite has no
    trigger to switch off.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def tamper(sql: str, params: list | tuple = ()) -> None:
    """Run raw SQL on the audit table behind the application's back, in one transaction."""
    with transaction.atomic(), append_only_trigger_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_row(event_id: int) -> dict:
    """Every column of an audit row as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent WHERE id = %s", [event_id])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))
