"""``GET /healthz``: whether this app server can serve, for the reverse proxy or load balancer.

200 ``ok`` when the database answers ``SELECT 1`` and the shared cache (Redis: sessions, rate
limits) answers a lookup; otherwise 503 naming what does not answer (``database``, ``cache``),
never why (no address, no error text). Reads no one's data, writes nothing, uses no session.
docs/deploy.md shows the proxy's use of it.
"""

from __future__ import annotations

import logging

import redis.exceptions
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health: the database does not answer")
        return False


def _cache_answers() -> bool:
    try:
        caches["default"].has_key("tsuen.health")
    except (redis.exceptions.RedisError, DatabaseError):
        logger.exception("health: the cache does not answer")
        return False
    return True


@never_cache
@require_safe
def healthz(request) -> HttpResponse:
    down = [
        name
        for name, answers in (("database", _database_answers), ("cache", _cache_answers))
        if not answers()
    ]
    if down:
        return HttpResponse(
            "unavailable: " + ", ".join(down) + "\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ok\n", content_type="text/plain")
