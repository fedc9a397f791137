"""bin/serve: gunicorn's production configuration loads, with the application, and fails closed.

No timed test: the figures of the configuration are bench/booking_rush.py's business.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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


def test_a_bad_worker_count_stops_start_up():
    done = serve("--check-config", TSUEN_WEB_WORKERS="0")
    assert done.returncode != 0
    assert "TSUEN_WEB_WORKERS" in done.stderr + done.stdout


def test_without_its_own_secrets_production_does_not_start():
    done = serve("--check-config", TSUEN_SECRET_KEY="")
    assert done.returncode != 0
    assert "TSUEN_SECRET_KEY is not set" in done.stderr
    assert os.environ["TSUEN_SECRET_KEY"] not in done.stderr + done.stdout
