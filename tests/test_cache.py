"""tsuen.core.cache: Django's Redis cache with one client per pool, and a one-round-trip counter
(PostgreSQL runs keep their cache in Redis; SQLite runs in their own database)."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import caches

from tsuen.core.cache import RedisCache

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def cache():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    return backend


def _ttl(backend, key: str) -> int:
    client = redis.Redis.from_url(backend._servers[0])
    try:
        return client.ttl(backend.make_and_validate_key(key))
    finally:
        client.close()


def test_one_client_serves_every_call(cache):
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is first
    assert cache._cache.get_client("c", write=True) is first  # one server: one pool


def test_increment_makes_a_counter_with_its_expiry_and_keeps_it(cache):
    assert cache.increment("probe-counter", 120) == 1
    assert 110 < _ttl(cache, "probe-counter") <= 120
    assert cache.increment("probe-counter", 9999) == 2  # the expiry is the first one's
    assert _ttl(cache, "probe-counter") <= 120
    assert cache.get("probe-counter") == 2  # Django's own reads see the count


def test_the_cache_still_reads_and_writes(cache):
    cache.set("probe-value", {"a": 1}, 30)
    assert cache.get("probe-value") == {"a": 1}
    assert cache.add("probe-value", 2, 30) is False
    cache.delete("probe-value")
    assert cache.get("probe-value") is None


def test_count_windows_counts_until_one_is_over_then_only_reads(cache):
    """A limit's windows in one round trip: each counter made with its own expiry and raised,
    until one goes over; the later ones are read, not raised."""
    keys = ["probe-minute", "probe-hour", "probe-day"]
    for key in keys:
        cache.delete(key)
    windows = [("probe-minute", 120, 2), ("probe-hour", 3660, 5), ("probe-day", 86460, 9)]
    assert cache.count_windows(windows) == [1, 1, 1]
    assert cache.count_windows(windows) == [2, 2, 2]
    assert cache.count_windows(windows) == [3, 2, 2]  # over the minute: hour and day read only
    assert cache.count_windows(windows) == [4, 2, 2]
    assert 110 < _ttl(cache, "probe-minute") <= 120
    assert 3600 < _ttl(cache, "probe-hour") <= 3660
    assert 86400 < _ttl(cache, "probe-day") <= 86460
    cache.delete("probe-minute")  # a new minute
    assert cache.count_windows(windows) == [1, 3, 3]
    assert cache.get("probe-hour") == 3  # Django's own reads see the same counters
    for key in keys:
        cache.delete(key)
