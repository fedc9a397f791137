"""Fail closed at start-up, and files on disk for this user alone. Real subprocesses: a WSGI
server imports tsuen.wsgi exactly like this."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tsuen.privacy.crypto import generate_key

REPO = Path(__file__).resolve().parents[2]


def run(code: str, tmp_path: Path, **env_extra: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with production-like settings of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    env.update(
        PYTHONPATH=str(REPO / "src"),
        DJANGO_SETTINGS_MODULE="tsuen.settings",
        TSUEN_DB="sqlite",
        TSUEN_VAR_DIR=str(tmp_path / "var"),
        TSUEN_SECRET_KEY=secrets.token_urlsafe(50),
        TSUEN_FIELD_KEYS=f"1:{generate_key()}",
        TSUEN_HTTPS="1",
        TSUEN_ALLOWED_HOSTS="tsuen.example.jp",
        TSUEN_RESIDENCY_HOSTS="localhost",
    )
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,  # a common default, under which files would be readable by everyone
    )


def test_the_wsgi_application_refuses_to_start_without_a_scanner(tmp_path):
    result = run("import tsuen.wsgi", tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "TSUEN_CLAMD_SOCKET" in result.stderr


def test_the_wsgi_application_starts_with_a_scanner_configured(tmp_path):
    result = run("import tsuen.wsgi", tmp_path, TSUEN_CLAMD_SOCKET="/run/clamav/clamd.ctl")
    assert result.returncode == 0, result.stderr


def test_a_malformed_scanner_address_stops_start_up(tmp_path):
    result = run("import tsuen.wsgi", tmp_path, TSUEN_CLAMD_SOCKET="clamd")
    assert result.returncode != 0 and "TSUEN_CLAMD_SOCKET" in result.stderr


def test_development_starts_without_a_scanner(tmp_path):
    """DEBUG (bin/demo before its clamd is up) starts; its uploads are refused instead."""
    result = run("import tsuen.wsgi", tmp_path, TSUEN_DEBUG="1")
    assert result.returncode == 0, result.stderr


MODES = """
import json, os, django
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x)")
    cursor.execute("INSERT INTO t VALUES (1)")
saved = FileSystemStorage(location=settings.VAR_DIR / "written").save("a/b.txt", ContentFile(b"x"))
var = settings.VAR_DIR
db = connection.settings_dict["NAME"]
paths = {
    "var": var, "db": db, "wal": db + "-wal", "shm": db + "-shm",
    "stored": var / "written" / saved, "stored_dir": var / "written" / "a",
}
print(json.dumps({k: oct(os.stat(p).st_mode & 0o777) for k, p in paths.items()}))
"""


@pytest.mark.parametrize("var_exists", [False, True])
def test_var_the_sqlite_files_and_stored_files_are_this_users_only(tmp_path, var_exists):
    if var_exists:  # an older checkout's var/, created with the umask
        (tmp_path / "var").mkdir(mode=0o755)
    result = run(MODES, tmp_path, TSUEN_CLAMD_SOCKET="/run/clamav/clamd.ctl")
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout)
    assert modes == {
        "var": "0o700",
        "db": "0o600",
        "wal": "0o600",
        "shm": "0o600",
        "stored": "0o600",
        "stored_dir": "0o700",
    }
