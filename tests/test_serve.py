"""bin/serve: gunicorn's production configuration loads, with the application, fails closed, and
answers requests.

No timed test: the figures of the configuration are bench/booking_rush.py's business.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVE = REPO / "bin" / "serve"


def serve(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TSUEN_WEB_", "TSUEN_WSGI"))
    }
    # Production's settings module (not the tests'), with this run's own secrets.
    environment |= {"DJANGO_SETTINGS_MODULE": "tsuen.settings", "TSUEN_DEBUG": "0"} | env
    return subprocess.run(
        [str(SERVE), *args],
        cwd="/",  # bin/serve finds the repository by itself
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_configuration_and_the_application_load():
    done = serve("--check-config")
    assert done.returncode == 0, done.stderr


def test_the_worker_model_is_sync_workers_counted_from_the_environment():
    done = serve("--print-config", TSUEN_WEB_WORKERS="3", TSUEN_BIND="127.0.0.1:8123")
    assert done.returncode == 0, done.stderr
    pairs = (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    config = {name.strip(): value.strip() for name, value in pairs}
    assert config["worker_class"] == "sync"
    assert config["workers"] == "3"
    assert config["bind"] == "['127.0.0.1:8123']"
    assert config["wsgi_app"] == "tsuen.wsgi:application"
    assert config["forwarded_allow_ips"] == "[]"  # tsuen reads the forwarding itself


def test_threads_make_threaded_workers():
    done = serve("--print-config", TSUEN_WEB_THREADS="4")
    assert done.returncode == 0, done.stderr
    config = dict(
        (name.strip(), value.strip())
        for name, value in (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    )
    assert config["worker_class"] == "gthread" and config["threads"] == "4"


def test_a_bad_worker_count_stops_start_up():
    done = serve("--check-config", TSUEN_WEB_WORKERS="0")
    assert done.returncode != 0
    assert "TSUEN_WEB_WORKERS" in done.stderr + done.stdout


def test_without_its_own_secrets_production_does_not_start():
    done = serve("--check-config", TSUEN_SECRET_KEY="")
    assert done.returncode != 0
    assert "TSUEN_SECRET_KEY is not set" in done.stderr
    assert os.environ["TSUEN_SECRET_KEY"] not in done.stderr + done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_bin_serve_answers_requests():
    """Production-like: DEBUG off, this run's own secrets (tests/settings.py), PostgreSQL (the
    run's test database), sessions and counters in Redis under this run's key prefix."""
    from django.db import connection

    from tests import cachekeys

    port = _free_port()
    database = connection.settings_dict
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TSUEN_WEB_", "TSUEN_WSGI"))
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "tsuen.settings",
        "TSUEN_DEBUG": "0",
        "TSUEN_DB": "postgresql",
        "TSUEN_PG_NAME": database["NAME"],
        "TSUEN_PG_HOST": database["HOST"],
        "TSUEN_PG_PORT": str(database["PORT"]),
        "TSUEN_PG_USER": database["USER"],
        "TSUEN_PG_PASSWORD": database["PASSWORD"],
        "TSUEN_CACHE_PREFIX": f"{cachekeys.RUN_PREFIX}serve",
        "TSUEN_BIND": f"127.0.0.1:{port}",
        "TSUEN_WEB_WORKERS": "1",
        "TSUEN_ACCESS_LOG": "",
        "TSUEN_GUNICORN_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [str(SERVE)],
        cwd="/",
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # gunicorn's master and its worker stop together below
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"bin/serve stopped: {server.stderr.read()}"
            try:
                health = _get(f"{base}/healthz")
                break
            except OSError:  # not listening yet
                assert time.monotonic() < deadline, "bin/serve never answered"
                time.sleep(0.3)
        assert health == (200, "ok\n")
        status, page = _get(f"{base}/")
        assert status == 200
        assert '<html lang="ja"' in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server.stderr.close()
