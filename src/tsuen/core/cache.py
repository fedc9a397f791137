"""tsuen's Redis cache: Django's, with one Redis client per connection pool.

Django's ``RedisCacheClient`` makes a new ``redis.Redis`` object for every cache call, and each
one builds its table of about 170 response callbacks: a quarter of a millisecond each, four or
five times a request (session, rate limits), measured in the booking rush (bench/). The client
object holds no connection of its own (it borrows one from the pool for each command and is
safe to share between threads), so one per pool serves every call alike.

:meth:`RedisCache.increment` counts a rate-limit window in one round trip (``SET ... NX EX``,
then ``INCR``, in one transaction) where Django's ``add`` then ``incr`` took two;
:meth:`RedisCache.count_windows` counts every window of a limit in one round trip (a script run
by Redis, atomic like the transaction).
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


#: Count a request in each window, in order, until one is over its limit; the windows after
#: it are only read (a client refused for the hour does not also use up its day). KEYS: the
#: counters; ARGV: each window's expiry in seconds and limit, in pairs. Returns every count.
_COUNT_WINDOWS = """
local over = false
local counts = {}
for i, key in ipairs(KEYS) do
  if over then
    counts[i] = tonumber(redis.call('GET', key) or '0')
  else
    redis.call('SET', key, 0, 'EX', tonumber(ARGV[2 * i - 1]), 'NX')
    counts[i] = redis.call('INCR', key)
    over = counts[i] > tonumber(ARGV[2 * i])
  end
end
return counts
"""


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client
        self._scripts = {}

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

    def count_windows(self, windows: list[tuple[str, int, int]]) -> list[int]:
        """Count one request in each ``(key, timeout, limit)`` window, shortest first, in one
        round trip: each counter is made at 0 with its expiry when missing and raised by one,
        until one goes over its limit; the later ones are then only read. Returns the counts."""
        keys = [self.make_and_validate_key(key) for key, _timeout, _limit in windows]
        client = self._cache.get_client(keys[0], write=True)
        script = self._scripts.get(id(client))
        if script is None:
            script = self._scripts[id(client)] = client.register_script(_COUNT_WINDOWS)
        arguments = [value for _key, timeout, limit in windows for value in (timeout, limit)]
        return [int(count) for count in script(keys=keys, args=arguments)]
