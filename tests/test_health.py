"""``/healthz`` (the monitor's: database, cache, file store, scanner, task backlog) and
``/healthz/app`` (the load balancer's: database and cache): 200 while each answers, 503 naming
what does not, never why. Every failure is a real one: a Redis port nothing listens on, a clamd
socket that accepts and never answers, a stored file under a key no longer configured, the file
table gone, an old ready task row."""

from __future__ import annotations

import base64
import copy
import datetime
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from tests import factories as f
from tests.files.samples import PDF
from tsuen.files.models import Purpose
from tsuen.files.services import Owner, store_upload

pytestmark = pytest.mark.django_db

KEY1 = "1:" + base64.b64encode(b"tsuen-test-health-key-version-1!").decode()
KEY2 = "2:" + base64.b64encode(b"tsuen-test-health-key-version-2!").decode()


def test_healthy_answers_ok_and_is_never_cached(client):
    for url in ("/healthz", "/healthz/app"):
        response = client.get(url)
        assert response.status_code == 200, response.content
        assert response.content == b"ok\n"
        assert "no-store" in response["Cache-Control"]
        assert client.head(url).status_code == 200
        assert client.post(url).status_code == 405


def test_a_cache_that_does_not_answer_gives_503(client, settings):
    # The same answer for the database cache of the embedded install: the table is missing.
    broken = copy.deepcopy(settings.CACHES)
    if broken["default"]["BACKEND"].endswith("RedisCache"):
        broken["default"]["LOCATION"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    else:
        broken["default"]["LOCATION"] = "tsuen_no_such_cache_table"
    settings.CACHES = broken
    for url in ("/healthz", "/healthz/app"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.content == b"unavailable: cache\n"


# --- The virus scanner --------------------------------------------------------------------------


@pytest.fixture
def silent_clamd():
    """A unix socket that accepts connections and never answers (a hung clamd)."""
    directory = Path(tempfile.mkdtemp(prefix="h", dir="/tmp"))  # short: unix socket paths
    path = directory / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield str(path)
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()
    path.unlink()
    directory.rmdir()


def test_a_scanner_that_does_not_answer_gives_503(client, settings, silent_clamd):
    settings.HEALTH_SCANNER_TIMEOUT = 0.3
    settings.CLAMD_SOCKET = silent_clamd
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable: scanner\n"  # no socket path, no error text
    assert client.get("/healthz/app").status_code == 200  # the servers stay in rotation


def test_a_stopped_or_missing_scanner_gives_503(client, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "no-clamd.sock")
    assert client.get("/healthz").content == b"unavailable: scanner\n"
    settings.CLAMD_SOCKET = "127.0.0.1:1"  # TCP, nothing listens
    assert client.get("/healthz").content == b"unavailable: scanner\n"
    settings.CLAMD_SOCKET = ""
    assert client.get("/healthz").content == b"unavailable: scanner\n"


# --- The file store -----------------------------------------------------------------------------


def test_files_under_a_key_no_longer_configured_give_503(client, settings):
    settings.FIELD_ENCRYPTION_KEYS = KEY1
    ward = f.municipality()
    guardian, household, child = f.family(ward)
    store_upload(
        guardian,
        SimpleUploadedFile("診断書.pdf", PDF),
        purpose=Purpose.DOCTOR_CERTIFICATE,
        owner=Owner(ward.pk, household.pk, child.pk),
    )
    assert client.get("/healthz").status_code == 200
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"  # rotation in progress: still readable
    assert client.get("/healthz").status_code == 200
    settings.FIELD_ENCRYPTION_KEYS = KEY2  # version 1 dropped while a file still needs it
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable: files\n"


def test_a_file_store_that_cannot_be_read_gives_503(client):
    # Rolled back with the test's transaction (PostgreSQL and SQLite both roll back DDL).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE files_storedfileblob RENAME TO files_storedfileblob_gone")
    response = client.get("/healthz")
    assert response.status_code == 503
    # The other checks still ran after the failed query (each runs in its own savepoint).
    assert response.content == b"unavailable: files\n"


# --- The task backlog ---------------------------------------------------------------------------


def _ready_task(enqueued_minutes_ago: int, run_after: datetime.datetime | None = None):
    from django_tasks_db.models import DBTaskResult

    from tsuen.booking.waitlist import expire_waitlist_offers_task

    task = expire_waitlist_offers_task.using(run_after=run_after) if run_after else None
    result = (task or expire_waitlist_offers_task).enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=enqueued_minutes_ago)
    )
    return result


def test_a_ready_task_waiting_too_long_gives_503(client, settings):
    settings.HEALTH_TASK_MINUTES = 10
    _ready_task(enqueued_minutes_ago=3)  # fresh: the worker has time
    assert client.get("/healthz").status_code == 200
    _ready_task(enqueued_minutes_ago=30)  # the worker is not taking tasks
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable: tasks\n"
    assert client.get("/healthz/app").status_code == 200
    settings.HEALTH_TASK_MINUTES = 60  # the threshold is the operator's
    assert client.get("/healthz").status_code == 200


def test_the_number_of_late_tasks_that_counts_is_configurable(client, settings):
    settings.HEALTH_LATE_TASKS = 3
    _ready_task(enqueued_minutes_ago=30)
    _ready_task(enqueued_minutes_ago=40)
    assert client.get("/healthz").status_code == 200
    _ready_task(enqueued_minutes_ago=50)
    assert client.get("/healthz").content == b"unavailable: tasks\n"


def test_tasks_scheduled_for_later_or_already_done_are_not_late(client):
    from django_tasks_db.models import DBTaskResult

    # Enqueued long ago, to run in an hour: not late.
    _ready_task(enqueued_minutes_ago=120, run_after=timezone.now() + datetime.timedelta(hours=1))
    done = _ready_task(enqueued_minutes_ago=120)
    DBTaskResult.objects.filter(pk=done.id).update(status="SUCCESSFUL")
    assert client.get("/healthz").status_code == 200


# --- The database -------------------------------------------------------------------------------


def test_a_database_that_does_not_answer_gives_503_and_nothing_else_is_asked(tmp_path):
    """A real server process whose SQLite database cannot be opened (its folder is missing):
    the embedded install's cache lives in that database too."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "for url in ('/healthz', '/healthz/app'):\n"
        "    r = Client().get(url)\n"
        "    print(r.status_code, r.content.decode().strip())\n"
    )
    env = os.environ | {
        "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
        "DJANGO_SETTINGS_MODULE": "tsuen.settings",
        "TSUEN_VAR_DIR": str(tmp_path / "var"),
        "TSUEN_DB": "sqlite",
        "TSUEN_SQLITE_PATH": str(tmp_path / "missing" / "tsuen.sqlite3"),
        "TSUEN_REDIS_URL": "",
        "TSUEN_LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "503 unavailable: database, cache",
        "503 unavailable: database, cache",
    ]
    assert "missing" not in result.stdout  # no path, no error text
