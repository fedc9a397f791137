"""Outbound connections only to configured hosts (council item 6): the suite itself runs under
the guard (tests/conftest.py), and so does every tsuen process (CoreConfig.ready()).

192.0.2.1 is TEST-NET-1 (RFC 5737): an address no one may use, so the refusal here can only come
from the guard; without it the connection would time out or fail with another error."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tsuen.core import egress, residency

SRC = Path(__file__).resolve().parents[1] / "src"
ELSEWHERE = ("192.0.2.1", 80)


@pytest.fixture
def listening():
    """A TCP server on the loopback (where the suite's PostgreSQL, Redis and clamd are)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def rules():
    """Guard rules of the test's own; the session's are put back afterwards."""
    before = egress.installed()
    yield lambda value: egress.install(residency.parse(value))
    egress.install(before)


def test_the_suite_runs_with_the_guard_on_this_machines_hosts():
    assert egress.installed() == residency.parse(settings.RESIDENCY_HOSTS)


def test_a_connection_to_another_address_is_refused_before_it_leaves():
    with pytest.raises(egress.EgressRefused, match=r"192\.0\.2\.1"):
        socket.create_connection(ELSEWHERE, timeout=5)
    with socket.socket() as sock, pytest.raises(egress.EgressRefused):
        sock.connect(ELSEWHERE)
    with socket.socket() as sock:
        assert sock.connect_ex(ELSEWHERE) == errno.ECONNREFUSED
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(egress.EgressRefused):
        sock.connect(("2001:db8::1", 443))


def test_client_libraries_see_a_refusal(settings):
    """Redis (redis-py) and the mail relay (smtplib) fail at once, as if nothing answered."""
    client = redis.Redis(host="192.0.2.1", port=6379, socket_connect_timeout=5)
    with pytest.raises(redis.exceptions.ConnectionError, match=r"192\.0\.2\.1"):
        client.ping()
    import smtplib

    with pytest.raises(egress.EgressRefused):
        smtplib.SMTP("192.0.2.1", 25, timeout=5)


def test_loopback_and_unix_sockets_still_connect(listening):
    with socket.create_connection(("127.0.0.1", listening), timeout=5):
        pass
    with socket.create_connection(("localhost", listening), timeout=5):
        pass
    directory = tempfile.mkdtemp(prefix="e", dir="/tmp")
    path = os.path.join(directory, "s")
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path)
            server.listen(1)
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(path)
    finally:
        os.unlink(path)
        os.rmdir(directory)


def test_a_listed_name_is_allowed_at_the_addresses_it_resolves_to(rules, listening):
    rules("localhost")  # a name only, no address range
    with socket.create_connection(("localhost", listening), timeout=5):
        pass
    with socket.socket() as sock:
        sock.connect(("localhost", listening))  # connect() resolving the name itself
    rules("db.tsuen.example.jp")  # loopback no longer listed
    with pytest.raises(egress.EgressRefused):
        socket.create_connection(("127.0.0.1", listening), timeout=5)


def test_every_tsuen_process_starts_with_the_guard(tmp_path):
    """Not only the suite: a tsuen process (a WSGI server, a worker, a command) refuses too."""
    code = (
        "import django, socket; django.setup()\n"
        "from tsuen.core.egress import EgressRefused\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=5)\n"
        "except EgressRefused as refused:\n"
        "    print('refused:', refused)\n"
    )
    env = os.environ | {
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "tsuen.settings",
        "TSUEN_VAR_DIR": str(tmp_path / "var"),
        "TSUEN_DB": "sqlite",
        "TSUEN_REDIS_URL": "",
        "TSUEN_CLAMD_SOCKET": "/run/clamav/clamd.ctl",
        "TSUEN_RESIDENCY_HOSTS": "localhost, 127.0.0.1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "refused: " in result.stdout and "TSUEN_RESIDENCY_HOSTS" in result.stdout
