"""System checks of the core: the rate limits need a cache that every app server shares."""

from __future__ import annotations

from django.core import checks

#: Cache backends that several processes and servers see alike (docs/accounts.md, Rate limits).
#: Redis: Django's, or tsuen's (the same with one client per pool).
REDIS_CACHES = ("tsuen.core.cache.RedisCache", "django.core.cache.backends.redis.RedisCache")
SHARED_CACHES = (
    *REDIS_CACHES,
    "django.core.cache.backends.db.DatabaseCache",
)


def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy``: a per-process (or dummy) cache would let every limit through."""
    from django.conf import settings

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in SHARED_CACHES:
        return []
    return [
        checks.Error(
            f"The default cache ({backend or 'none'}) is not shared between processes, so the "
            "rate limits do not hold.",
            hint="Use Redis (TSUEN_REDIS_URL) or the database cache; see docs/accounts.md.",
            id="core.E001",
        )
    ]


#: Session stores that keep sessions in a cache (``SESSION_CACHE_ALIAS``).
CACHE_SESSION_ENGINES = (
    "tsuen.core.sessions",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)


def _redis_location(location) -> str:
    """The Redis address without its password, for a message."""
    from urllib.parse import urlsplit

    first = location[0] if isinstance(location, list | tuple) else str(location)
    parts = urlsplit(first)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"


def check_session_store(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy``: sessions kept in a cache need the shared Redis, and it must answer.

    A per-process cache would sign a user out whenever the proxy sends them to another worker
    or app server (and Django's own cache store forgives any cache error as "no session";
    tsuen.core.sessions does not). This check talks to Redis, so it runs with ``--deploy``
    only: run it before starting the app servers (docs/deploy.md)."""
    from django.conf import settings

    if settings.SESSION_ENGINE not in CACHE_SESSION_ENGINES:
        return []
    alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    config = settings.CACHES.get(alias, {})
    backend = config.get("BACKEND", "")
    if backend not in REDIS_CACHES:
        return [
            checks.Error(
                f"Sessions are kept in the cache {alias!r} ({backend or 'none'}), which is not "
                "the shared Redis: users would lose their session between processes.",
                hint="Set TSUEN_REDIS_URL (docs/deploy.md, Sessions).",
                id="core.E002",
            )
        ]
    if settings.SESSION_ENGINE != "tsuen.core.sessions":
        return [
            checks.Error(
                f"{settings.SESSION_ENGINE} goes on without the session when Redis fails.",
                hint="Use tsuen.core.sessions, which fails closed.",
                id="core.E003",
            )
        ]
    import redis.exceptions
    from django.core.cache import caches

    try:
        caches[alias].has_key("tsuen.checks.session_store")
    except redis.exceptions.RedisError as error:
        return [
            checks.Error(
                f"The sessions' Redis at {_redis_location(config.get('LOCATION'))} does not "
                f"answer ({type(error).__name__}): every signed-in request would fail.",
                hint="Start Redis, or correct TSUEN_REDIS_URL.",
                id="core.E004",
            )
        ]
    return []
