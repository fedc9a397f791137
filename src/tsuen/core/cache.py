"""tsuen's Redis cache: Django's, with one Redis client per connection pool.

Django's ``RedisCacheClient`` makes a new ``redis.Redis`` object for every cache call, and each
one builds its table of about 170 response callbacks: a quarter of a millisecond each, four or
five times a request (session, rate limits), measured in the booking rush (bench/). The client
object holds no connection of its own (it borrows one from the pool for each command and is
safe to share between threads), so one per pool serves every call alike.

:meth:`RedisCache.increment` counts a rate-limit window in one round trip (``SET ... NX EX``,
then ``INCR``, in one transaction) where Django's ``add`` then ``incr`` took two.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client

    def increment(self, key: str, timeout: int) -> int:
        """Add one to the counter at ``key`` (made at 1 when missing) and return it; a new
        counter expires after ``timeout`` seconds, an existing one keeps its expiry."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=timeout, nx=True)  # a new counter, with its expiry
            pipe.incr(key)
            _made, count = pipe.execute()
        return int(count)
