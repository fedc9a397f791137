"""System checks of the core: the rate limits need a cache that every app server shares."""

from __future__ import annotations

from django.core import checks

#: Cache backends that several processes and servers see alike (docs/accounts.md, Rate limits).
SHARED_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
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
