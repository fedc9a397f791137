"""Where sessions live: Redis whenever TSUEN_REDIS_URL is set (every PostgreSQL deployment), the
database of the embedded SQLite default otherwise; and Redis sessions fail closed.

The PostgreSQL runs use the real Redis at 127.0.0.1:6379, each test under its own key prefix
(tests/conftest.py), so nothing here touches another run's keys.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import redis.exceptions
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, logged_in_user_id, password_login
from tsuen.accounts.services import end_sessions

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

PROBE = "/probe/"
SRC = Path(__file__).resolve().parents[2] / "src"
#: Nothing listens on port 1: a Redis that does not answer (connection refused at once).
DEAD_REDIS = "redis://127.0.0.1:1/0"


def engine_with(**variables: str) -> str:
    """SESSION_ENGINE as tsuen's settings choose it in a fresh process with these TSUEN_
    variables (and the run's secrets), none of this run's others."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    env |= {
        "PYTHONPATH": str(SRC),
        "TSUEN_DEBUG": "1",
        **{f"TSUEN_{name}": value for name, value in variables.items()},
    }
    code = (
        "import tsuen.settings as s; "
        "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'], s.REDIS_URL or '-')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_postgresql_keeps_sessions_in_redis_and_sqlite_in_its_database(tmp_path):
    redis_cache = "tsuen.core.cache.RedisCache"
    local = "redis://127.0.0.1:6379/0"  # the machine's own Redis, unless TSUEN_REDIS_URL
    assert engine_with(DB="postgresql") == f"tsuen.core.sessions {redis_cache} {local}"
    sqlite = engine_with(DB="sqlite", VAR_DIR=str(tmp_path))
    db_cache = "django.core.cache.backends.db.DatabaseCache"
    assert sqlite == f"django.contrib.sessions.backends.db {db_cache} -"
    # TSUEN_REDIS_URL moves a SQLite install's sessions to Redis with its counters.
    elsewhere = "redis://10.0.0.9:6379/1"
    moved = engine_with(DB="sqlite", VAR_DIR=str(tmp_path), REDIS_URL=elsewhere)
    assert moved == f"tsuen.core.sessions {redis_cache} {elsewhere}"


def _redis_key(session_key: str) -> str:
    return caches["default"].make_and_validate_key(f"django.contrib.sessions.cache{session_key}")


def _in_redis(session_key: str) -> bool:
    client = redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])
    try:
        return bool(client.exists(_redis_key(session_key)))
    finally:
        client.close()


def _dead_redis(settings) -> None:
    broken = copy.deepcopy(settings.CACHES)
    broken["default"]["LOCATION"] = DEAD_REDIS
    settings.CACHES = broken


@pytest.mark.postgres_only
def test_a_login_keeps_its_session_in_redis_and_logout_removes_it(client, guardian):
    assert password_login(client, guardian.email).status_code == 302
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert _in_redis(key)
    assert not Session.objects.exists()  # nothing in the database
    assert client.get(PROBE).content.decode() == f"signed in as {guardian.email}"
    client.post(reverse("account_logout"))
    assert not _in_redis(key)
    assert client.get(PROBE).status_code == 302


@pytest.mark.postgres_only
def test_ending_an_accounts_sessions_ends_its_redis_session(client, guardian):
    password_login(client, guardian.email, PASSWORD)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    end_sessions(guardian)  # what a deactivation or a role change does
    assert client.get(PROBE).status_code == 302
    assert not _in_redis(key)  # Django flushed the session whose hash no longer matched
    assert logged_in_user_id(client) is None


@pytest.mark.postgres_only
def test_without_redis_a_signed_in_request_fails_instead_of_going_on_signed_out(
    client, guardian, settings
):
    password_login(client, guardian.email)
    _dead_redis(settings)
    with pytest.raises(redis.exceptions.ConnectionError):
        client.get(PROBE)
    client.raise_request_exception = False
    assert client.get(PROBE).status_code == 500
    # Django's own cache store would have served the page to a visitor, the session forgotten.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    stock = Client(raise_request_exception=False)  # its middleware reads the engine afresh
    stock.cookies = client.cookies
    assert stock.get(PROBE).status_code == 302
