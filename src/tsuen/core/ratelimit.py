"""Rate limits (SECURITY.md item 8): tsuen's own routes, and the 429 page for allauth's.

A limit is a named entry of ``settings.RATE_LIMITS``, written like allauth's:
``"60/h/user,200/d/user"`` allows 60 requests a clock hour and 200 a day per signed-in account.
The key of a rate is ``user``, ``ip`` (the client address, ``core.middleware.client_address``)
or a value that the route passes by name (``token=...``, ``email=...``).

Each rate counts in a fixed window of clock time (a day starts at midnight in Tokyo) in the
shared default cache: one counter per action, rate, key and window, created with ``cache.add``
and raised with ``cache.incr`` (atomic in Redis; on the database cache the read and write run in
one transaction). Key values are stored only as an HMAC (no address, e-mail or token in clear).
Rates are checked from the shortest window up and counting stops at the first one exceeded, so
that a client already refused for the hour does not also use up its day (on Redis all the
windows of a limit are counted in one round trip, by a script: ``core.cache``).

Over the limit the answer is 429 with a page in the user's language that says when to try again,
and a ``Retry-After`` header (JSON for callers that ask only for JSON). If the cache cannot be
reached, the request is refused with 503 ("try again shortly"): the limit fails closed.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

import redis.exceptions
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, router, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tsuen.core import clock
from tsuen.core.middleware import client_address

logger = logging.getLogger("tsuen.ratelimit")

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: Errors that mean "the cache is not there", answered with 503 rather than 500.
CACHE_ERRORS = (redis.exceptions.RedisError, DatabaseError)
#: A counter outlives its window by this much, so that it cannot expire between add and incr.
TTL_MARGIN = 60
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int
    per: str

    def __str__(self) -> str:
        return f"{self.amount}/{self.seconds}s/{self.per}"


def parse(spec: str) -> tuple[Rate, ...]:
    """``"60/h/user,200/d/user"`` → its rates, shortest window first."""
    rates = []
    for part in spec.split(","):
        if not part.strip():
            continue
        amount, window, per = (p.strip() for p in part.split("/"))
        number, unit = window[:-1], window[-1]
        rates.append(Rate(int(amount), int(number or 1) * UNITS[unit], per))
    return tuple(sorted(rates, key=lambda r: r.seconds))


def rates_for(action: str) -> tuple[Rate, ...]:
    return parse(settings.RATE_LIMITS.get(action, ""))


def _subject(request: HttpRequest, per: str, keys: dict[str, str]) -> str:
    if per == "ip":
        return f"ip:{client_address(request) or 'unknown'}"
    if per == "user":
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_address(request) or 'unknown'}"  # a visitor counts by address
    return f"{per}:{keys[per]}"


def _cache_key(action: str, rate: Rate, subject: str, window: int) -> str:
    digest = salted_hmac("tsuen.core.ratelimit", subject, algorithm="sha256").hexdigest()[:32]
    return f"rl:{action}:{rate}:{digest}:{window}"


def _increment(key: str, timeout: int) -> int:
    cache = caches["default"]
    if isinstance(cache, BaseDatabaseCache):
        # The database cache's incr is a read and a write (and resets the timeout): one
        # transaction makes it atomic (SQLite's immediate transactions take the write lock).
        with transaction.atomic(using=router.db_for_write(cache.cache_model_class)):
            count = cache.get(key, 0) + 1
            cache.set(key, count, timeout)
        return count
    increment = getattr(cache, "increment", None)
    if increment is not None:  # tsuen.core.cache.RedisCache: one round trip
        return increment(key, timeout)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def _local_seconds(moment: dt.datetime) -> float:
    """Seconds since the epoch on Tokyo's wall clock, so that day windows start at midnight."""
    return moment.timestamp() + timezone.localtime(moment).utcoffset().total_seconds()


def hit(request: HttpRequest, action: str, **keys: str) -> int | None:
    """Count one request for ``action``. Returns None while within every rate, else the seconds
    until the request may be retried. Raises one of ``CACHE_ERRORS`` if the cache is down."""
    rates = rates_for(action)
    if not rates:
        return None
    cache = caches["default"]
    now = _local_seconds(clock.now())
    windows = [int(now // rate.seconds) for rate in rates]
    keys = [
        _cache_key(action, rate, _subject(request, rate.per, keys), window)
        for rate, window in zip(rates, windows, strict=True)
    ]
    count_windows = getattr(cache, "count_windows", None)
    counts = (  # Redis (tsuen.core.cache): every window in one round trip
        count_windows(
            [(key, r.seconds + TTL_MARGIN, r.amount) for key, r in zip(keys, rates, strict=True)]
        )
        if count_windows is not None
        else None
    )
    waits = []
    for i, (rate, window, key) in enumerate(zip(rates, windows, keys, strict=True)):
        if waits:  # already refused: only look, so that the answer gives the longest wait
            looked = counts[i] if counts is not None else (cache.get(key) or 0)
            over = looked >= rate.amount
        else:
            if counts is not None:
                counted = counts[i]
            else:
                counted = _increment(key, rate.seconds + TTL_MARGIN)
            over = counted > rate.amount
        if over:
            waits.append((window + 1) * rate.seconds - now)
            logger.warning("rate limit reached: %s %s", action, rate)
    return max(1, math.ceil(max(waits))) if waits else None


def _wants_json(request: HttpRequest) -> bool:
    return request.accepts("application/json") and not request.accepts("text/html")


def _up_to_the_minute(moment: dt.datetime) -> dt.datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + MINUTE


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The 429 answer: a page in the user's language saying when to try again."""
    now = clock.now()
    if _wants_json(request):
        response = JsonResponse(
            {
                "found": False,
                "error": _("Too many requests in a short time. Please try again later."),
                "retry_after": retry_after,
            },
            status=429,
        )
    else:
        # Shown in whole minutes, rounded up: "1 minute" rather than "0 minutes" for 30 s.
        minutes = dt.timedelta(minutes=math.ceil(retry_after / 60))
        context = {
            "now": now,
            "wait_until": now + minutes,
            "retry_at": _up_to_the_minute(now + dt.timedelta(seconds=retry_after)),
            "retry_after": retry_after,
        }
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "private, no-store"
    return response


def cache_unavailable(request: HttpRequest) -> HttpResponse:
    """503 when the counters cannot be reached: refused, never let through uncounted."""
    response = render(request, "503.html", {}, status=503)
    response["Retry-After"] = "60"
    response["Cache-Control"] = "private, no-store"
    return response


def check(request: HttpRequest, action: str, **keys: str) -> HttpResponse | None:
    """Count the request; None to go on, or the response that refuses it (429, or 503)."""
    try:
        wait = hit(request, action, **keys)
    except CACHE_ERRORS:
        logger.exception("rate limit %s: the cache cannot be reached", action)
        return cache_unavailable(request)
    return None if wait is None else too_many_requests(request, wait)


def posted(field: str | None = None, value: str | None = None) -> Callable[[HttpRequest], bool]:
    """A ``when`` for :func:`limited`: POST requests (whose ``field`` is ``value``, if given)."""

    def when(request: HttpRequest) -> bool:
        if request.method != "POST":
            return False
        return field is None or request.POST.get(field) == value

    return when


def limited(
    action: str,
    *,
    when: Callable[[HttpRequest], bool] | None = None,
    keys: Callable[..., dict[str, str]] | None = None,
):
    """View decorator: count the requests for which ``when(request)`` holds (all by default)
    under ``settings.RATE_LIMITS[action]``; ``keys(request, *args, **kwargs)`` gives the values
    of keys other than user and ip. Put it inside ``login_required`` for per-user limits."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if when is None or when(request):
                extra = keys(request, *args, **kwargs) if keys else {}
                refused = check(request, action, **extra)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- allauth's pages ----------------------------------------------------------------------------

#: allauth's action for each of its rate-limited pages (its ``ACCOUNT_RATE_LIMITS`` keys).
#: Action names, not passwords (bandit B105 reads "password" in them).
ALLAUTH_ACTIONS = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",  # nosec B105
    "account_reset_password_from_key": "reset_password_from_key",  # nosec B105
    "account_change_password": "change_password",  # nosec B105
    "account_set_password": "change_password",  # nosec B105
    "account_email": "manage_email",
    "account_reauthenticate": "reauthenticate",
}
#: The wait announced when allauth's counters cannot tell (an action not listed above).
ALLAUTH_FALLBACK_WAIT = 300


def allauth_retry_after(request: HttpRequest) -> int:
    """When allauth's sliding-window limit will let this client in again: the oldest counted
    attempt of each exhausted rate leaving its window. Reads allauth's counters (its internal
    ``get_cache_key``, pinned with allauth's version; a change is caught by the tests)."""
    from allauth.core.internal import ratelimit as allauth_rl

    match = getattr(request, "resolver_match", None)
    action = ALLAUTH_ACTIONS.get(match.url_name if match else "")
    if action is None:
        return ALLAUTH_FALLBACK_WAIT
    rates = allauth_rl.get_rates(app="allauth.account", action=action)
    # Password reset counts per e-mail address too (the form's address, in lower case).
    key = (request.POST.get("email") or "").strip().lower() or None
    now = time.time()
    waits = []
    for rate in rates:
        try:
            cache_key = allauth_rl.get_cache_key(
                request, app="allauth.account", action=action, rate=rate, key=key
            )
        except ImproperlyConfigured:  # a key this request does not carry: the whole window
            waits.append(rate.duration)
            continue
        history = [t for t in caches["default"].get(cache_key, []) if t > now - rate.duration]
        if len(history) >= rate.amount:
            waits.append(history[rate.amount - 1] + rate.duration - now)
    if not waits:
        return max((r.duration for r in rates), default=ALLAUTH_FALLBACK_WAIT)
    return max(1, math.ceil(max(waits)))


def allauth_too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (``tsuen.urls.handler429``): tsuen's page, with allauth's wait."""
    return too_many_requests(request, int(allauth_retry_after(request)))
