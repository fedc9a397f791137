"""The test run's own keys in the shared cache.

On PostgreSQL the suite uses the real Redis at 127.0.0.1:6379, which other test runs on the
same machine use at the same time: a test must never flush it (``cache.clear()`` is FLUSHDB).
Each test therefore counts under a key prefix of its own (``tests/conftest.py``), and only keys
under this run's prefixes are ever deleted. On SQLite the cache is a table in the run's own
test database.
"""

from __future__ import annotations

import os

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

#: Every key of this run starts with this (then "-<test number>:").
RUN_PREFIX = f"tsuen-test-{os.getpid()}-"


#: Part of every session's key (tsuen's sessions live in this Redis too, settings.py).
SESSION_KEY_PART = b"django.contrib.sessions.cache"


def _delete_matching(pattern: str, *, keep_sessions: bool = False) -> None:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    try:
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            if keep_sessions and SESSION_KEY_PART in key:
                continue
            batch.append(key)
            if len(batch) >= 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def forget_this_tests_keys() -> None:
    """What ``cache.clear()`` would do for the current test, touching nothing of other runs,
    and keeping the test's sessions (as they are kept in the database on SQLite): a test that
    forgets its counters or used codes stays signed in."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        _delete_matching(f"{backend.key_prefix}:*", keep_sessions=True)
    else:
        backend.clear()  # the database cache lives in this run's own test database


def forget_this_runs_keys() -> None:
    """At the end of the run: every key any of its tests left in Redis."""
    if isinstance(caches["default"], RedisCache):
        _delete_matching(f"{RUN_PREFIX}*")
