"""bin/postgres: the test command finds or makes its PostgreSQL server on a fresh machine.

Run against a throw-away Debian cluster on a free port, created by the script itself exactly as
on a machine with the server package but no running cluster. Debian's default pg_hba.conf asks
for a password over TCP, so the script must hand the suite one.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
PRIVILEGED = os.geteuid() == 0 or (
    shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], check=False).returncode == 0
)
pytestmark = [
    pytest.mark.postgres_only,  # once is enough: the SQLite run skips it
    pytest.mark.skipif(
        not (PRIVILEGED and shutil.which("pg_createcluster")),
        reason="needs the PostgreSQL server package and root (or sudo) to create a cluster",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo", "-n"]


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    name = f"tsuentest{port}"
    env = {
        **os.environ,
        "TSUEN_PG_PORT": str(port),
        "TSUEN_PG_CLUSTER": name,
        "TSUEN_PG_PASSWORD_FILE": str(tmp_path / "pg-password"),
    }
    yield port, env
    version = next(
        line.split()[0]
        for line in subprocess.run(
            ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        if line.split()[1] == name
    )
    subprocess.run([*_sudo(), "pg_dropcluster", "--stop", version, name], check=True)


def ensure(env) -> str:
    done = subprocess.run(
        [str(ROOT / "bin/postgres"), "ensure"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def connect(port: int, password: str | None):
    return psycopg.connect(
        host="127.0.0.1",
        port=port,
        user="postgres",
        dbname="postgres",
        password=password,
        connect_timeout=5,
    )


def test_a_machine_without_a_running_server_gets_one_and_the_suite_a_password(cluster):
    port, env = cluster
    out = ensure(env)
    match = re.fullmatch(r"export TSUEN_PG_PASSWORD=([0-9a-f]{48})\n", out)
    assert match, out
    password = match.group(1)
    # The new cluster asks for a password over TCP; the one printed lets the suite in.
    with pytest.raises(psycopg.OperationalError):
        connect(port, None).close()
    with connect(port, password) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    # A second run, and a run after the server stopped, keep the same password.
    assert ensure(env) == out
    version = subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
    ).stdout
    [line] = [row for row in version.splitlines() if row.split()[1] == env["TSUEN_PG_CLUSTER"]]
    subprocess.run(
        [
            *_sudo(),
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            line.split()[0],
            env["TSUEN_PG_CLUSTER"],
            "stop",
        ],
        check=True,
    )
    assert ensure(env) == out
    with connect(port, password) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_a_server_that_trusts_local_connections_needs_nothing_more():
    """The suite's own server here (trust, or the password bin/test exported) answers as is."""
    env = {**os.environ, "TSUEN_PG_PORT": os.environ.get("TSUEN_PG_PORT", "5432")}
    out = ensure(env)
    if out:
        assert out.startswith("export TSUEN_PG_PASSWORD=")
