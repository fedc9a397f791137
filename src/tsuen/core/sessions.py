"""Sessions in the shared Redis, failing closed (``SESSION_ENGINE`` when ``TSUEN_REDIS_URL`` is
set; docs/deploy.md, "Sessions").

Django's cache session store treats *any* error of the cache as "no such session": with Redis
down, a signed-in request would quietly go on as a visitor's (and a staff member's idle clock,
second-factor proof and pending forms would be forgotten without a word). Here only a missing
session is a missing session; an unreachable Redis raises, and the request fails with a server
error until Redis answers again. Session keys are validated before they reach the cache
(``SessionBase._validate_session_key``), and Redis accepts every such key, so there is no
"invalid key" error to forgive.

Revoking sessions never needs this store: every session keeps a hash of its account's
``session_epoch`` (``accounts.services.end_sessions``), checked on every request against the
database.
"""

from __future__ import annotations

from django.contrib.sessions.backends import cache


class SessionStore(cache.SessionStore):
    def load(self):
        session_data = self._cache.get(self.cache_key)  # a RedisError propagates: 500
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    async def aload(self):
        session_data = await self._cache.aget(await self.acache_key())
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
