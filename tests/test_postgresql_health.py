"""The kept connection's health check (tsuen.core.postgresql): no round trip while the socket is
quiet, Django's ``SELECT 1`` when the server has said something, and a connection the server
ended is found unusable and replaced before the request's first statement."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

from tsuen.core.postgresql.base import DatabaseWrapper

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own():
    """A connection of its own to the test database, as a request's would be."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _last_statement(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_the_settings_use_it_with_health_checks_on(own):
    assert isinstance(own, DatabaseWrapper)
    assert own.health_check_enabled


def test_a_quiet_connection_is_usable_without_a_statement(own):
    pid = _pid(own)
    for _ in range(3):
        assert own.is_usable()
    assert _last_statement(pid) == "SELECT pg_backend_pid()"  # no SELECT 1 was sent


def test_a_connection_with_something_to_read_gets_the_real_check(own):
    pid = _pid(own)
    with own.cursor() as cursor:
        cursor.execute("LISTEN tsuen_health_test")
    with connection.cursor() as cursor:
        cursor.execute("NOTIFY tsuen_health_test")
    time.sleep(0.2)  # the notification reaches the idle connection's socket
    assert own.is_usable()
    assert _last_statement(pid) == "SELECT 1"  # Django's check read what was waiting


def test_a_connection_the_server_ended_is_replaced_before_the_next_statement(own):
    pid = _pid(own)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and own.is_usable():
        time.sleep(0.05)  # the server's goodbye arrives at once; allow for a slow machine
    assert not own.is_usable()
    # What Django does before a request's first statement (CONN_HEALTH_CHECKS): check, close
    # the dead connection, and connect again for the statement.
    own.health_check_done = False
    own.close_if_health_check_failed()
    assert own.connection is None
    assert _pid(own) != pid
