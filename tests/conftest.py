"""Shared test set-up: a fast password hasher, a tenant scope, and the database under test.

The suite runs twice: on PostgreSQL (TSUEN_DB=postgresql) and on the embedded SQLite database.
Tests that need PostgreSQL features carry the ``postgres_only`` marker and are deselected on
SQLite by bin/test (they are not skipped at run time: a deselected test is never reported as
passing).
"""

from __future__ import annotations

import copy
import itertools

import pytest

from tests import cachekeys
from tests.browser_support import (  # noqa: F401  (fixtures for all tests)
    browser,
    desktop,
    phone,
    tablet,
)
from tsuen.core import tenancy


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


_test_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts rate limits (and anything else cached) under a key prefix of its own, so
    that no test inherits another's counters (allauth's re-authentication limit is keyed by the
    user's id, which SQLite hands out again after a rolled-back test) and the shared Redis of
    the PostgreSQL runs is never cleared (see tests/cachekeys.py)."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{cachekeys.RUN_PREFIX}{next(_test_numbers)}"
    settings.CACHES = caches


@pytest.fixture(autouse=True, scope="session")
def _outbound_connections_only_to_configured_hosts():
    """The whole session runs with the outbound guard (tsuen.core.egress): a socket may connect
    only to TSUEN_RESIDENCY_HOSTS (tests/settings.py: this machine's loopback, where the suite's
    PostgreSQL, Redis, clamd and live server are) or a unix socket. tsuen's start-up installs it
    already; installing it here keeps the suite guarded whatever the settings say
    (tests/test_egress.py proves that another address is refused)."""
    from django.conf import settings

    from tsuen.core import egress, residency

    egress.install(residency.parse(settings.RESIDENCY_HOSTS))
    yield


@pytest.fixture(autouse=True, scope="session")
def _forget_the_runs_cache_keys():
    yield
    cachekeys.forget_this_runs_keys()


@pytest.fixture(autouse=True, scope="session")
def _never_flush_the_shared_redis():
    """``cache.clear()`` on Redis is FLUSHDB: it would sign out every session of every other
    run on this machine (sessions live in Redis with PostgreSQL). A test forgets its own keys
    with ``cachekeys.forget_this_tests_keys()`` instead."""
    from django.core.cache.backends.redis import RedisCache

    def refuse(self):
        raise AssertionError("cache.clear() flushes the shared Redis: use tests.cachekeys")

    original, RedisCache.clear = RedisCache.clear, refuse
    yield
    RedisCache.clear = original


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Japanese): a request of an earlier test may
    have left another language active in this thread (the locale middleware activates the
    request's language and does not undo it)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_scope():
    """Test set-up code creates rows in several wards; views run under their own scope."""
    with tenancy.cross_tenant("test set-up"):
        yield


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DB_VENDOR != "postgresql":
        for item in items:
            if item.get_closest_marker("postgres_only") and not config.getoption("-m"):
                raise pytest.UsageError(
                    "postgres_only tests selected on SQLite: run with -m 'not postgres_only'"
                )
