"""``GET /healthz`` and ``GET /healthz/app``: whether the site and this app server can serve.

``/healthz`` is for the hosting provider's monitor; it checks, in this order:

* ``database``: the database answers ``SELECT 1``;
* ``cache``: the shared cache (Redis: sessions, rate limits) answers a lookup;
* ``files``: the file store answers, i.e. the table of encrypted uploads
  (``files.StoredFileBlob``, in the database: docs/files.md) can be read and the newest file's
  key version is one of the configured field keys (a key dropped too early loses every file
  under it);
* ``scanner``: clamd answers ``PING`` within ``HEALTH_SCANNER_TIMEOUT`` seconds (no answer:
  every upload is refused);
* ``tasks``: fewer than ``HEALTH_LATE_TASKS`` ready tasks have waited longer than
  ``HEALTH_TASK_MINUTES`` (the worker is down or cannot keep up: emails are not sent).

``/healthz/app`` checks only the first two, what this app server needs to answer a request: the
load balancer takes a server out of rotation on it. (A stopped worker or scanner is the same for
every server; taking them all out would stop the whole site for it.)

200 ``ok`` when all answer; otherwise 503 naming what does not answer
(``unavailable: scanner, tasks``), never why (no address, no error text, no count); the
application log says why. Reads no one's data (counts, a key version), writes nothing, uses no
session. Each check is a single indexed query or one PING, inside a savepoint so that one
failure does not hide the others.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

import redis.exceptions
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from tsuen.files import clamav

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


def _file_store_answers() -> bool:
    from tsuen.files.models import StoredFileBlob
    from tsuen.privacy.crypto import keyring

    try:
        with transaction.atomic():
            # The newest file's key version (primary key order: no scan, no value read).
            newest = (
                StoredFileBlob.unscoped.order_by("-file_id")
                .values_list("key_version", flat=True)
                .first()
            )
    except DatabaseError:
        logger.exception("health: the file store (files_storedfileblob) does not answer")
        return False
    if newest is not None and newest not in keyring().versions:
        logger.error("health: the newest stored file is under key v%s, not configured", newest)
        return False
    return True


def _scanner_answers() -> bool:
    address = settings.CLAMD_SOCKET
    if not address:
        logger.error("health: no virus scanner is configured (TSUEN_CLAMD_SOCKET)")
        return False
    try:
        if clamav.ping(address, timeout=settings.HEALTH_SCANNER_TIMEOUT):
            return True
    except ValueError:  # a malformed address (start-up refuses it outside DEBUG)
        pass
    logger.error("health: the virus scanner does not answer PING")
    return False


def late_tasks(limit: int) -> int:
    """How many ready tasks have waited longer than HEALTH_TASK_MINUTES (counted up to
    ``limit``): enqueued before the cut-off and due before it (or due whenever)."""
    from django.db.models import Q
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    cutoff = timezone.now() - datetime.timedelta(minutes=settings.HEALTH_TASK_MINUTES)
    late = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, enqueued_at__lt=cutoff
    ).filter(Q(run_after=get_date_max()) | Q(run_after__lt=cutoff))
    return late.order_by()[:limit].count()


def _tasks_keep_up() -> bool:
    limit = max(settings.HEALTH_LATE_TASKS, 1)
    try:
        with transaction.atomic():
            late = late_tasks(limit)
    except DatabaseError:
        logger.exception("health: the task queue does not answer")
        return False
    if late >= limit:
        logger.error(
            "health: %s or more ready tasks have waited over %s minutes (is db_worker running?)",
            late,
            settings.HEALTH_TASK_MINUTES,
        )
        return False
    return True


APP_CHECKS: tuple[tuple[str, Callable[[], bool]], ...] = (
    ("database", _database_answers),
    ("cache", _cache_answers),
)
SITE_CHECKS = (
    *APP_CHECKS,
    ("files", _file_store_answers),
    ("scanner", _scanner_answers),
    ("tasks", _tasks_keep_up),
)


def _answer(checks) -> HttpResponse:
    down = [name for name, answers in checks if not answers()]
    if down:
        return HttpResponse(
            "unavailable: " + ", ".join(down) + "\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def healthz(request) -> HttpResponse:
    """Every component: for the monitor."""
    if not _database_answers():  # the rest all need it
        return _answer([("database", lambda: False), *APP_CHECKS[1:]])
    return _answer(SITE_CHECKS)


@never_cache
@require_safe
def healthz_app(request) -> HttpResponse:
    """What this app server needs to serve: for the load balancer."""
    return _answer(APP_CHECKS)
