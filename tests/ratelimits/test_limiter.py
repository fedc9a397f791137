"""The rate limiter (tsuen.core.ratelimit): fixed windows on the clock, keys, the waits it
announces, what it stores, and the cache it counts in."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

import tsuen.settings as project_settings
from tests import cachekeys
from tests.booking.scene import NOW as BOOKING_NOW
from tests.booking.scene import scene
from tsuen.booking.models import Booking
from tsuen.core import clock, ratelimit

TOKYO = timezone.get_fixed_timezone(9 * 60)


def at(hour, minute=0, second=0, day=1):
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=TOKYO)


def request(rf, address="192.0.2.1", user=None):
    r = rf.get("/", REMOTE_ADDR=address)
    r.user = user or AnonymousUser()
    return r


def limit(settings, action, spec):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {action: spec}


def test_rates_read_like_allauths_shortest_window_first():
    assert ratelimit.parse("200/d/user, 60/h/user,5/10m/email") == (
        ratelimit.Rate(5, 600, "email"),
        ratelimit.Rate(60, 3600, "user"),
        ratelimit.Rate(200, 86400, "user"),
    )
    assert ratelimit.parse("") == ()


@pytest.mark.django_db
def test_a_window_is_a_stretch_of_clock_time_and_the_wait_runs_to_its_end(rf, settings):
    limit(settings, "probe", "2/m/ip")
    with clock.frozen(at(10, 0, 20)):
        assert ratelimit.hit(request(rf), "probe") is None
        assert ratelimit.hit(request(rf), "probe") is None
        assert ratelimit.hit(request(rf), "probe") == 40  # until 10:01:00
        assert ratelimit.hit(request(rf, "192.0.2.2"), "probe") is None  # per address
    with clock.frozen(at(10, 0, 59)):
        assert ratelimit.hit(request(rf), "probe") == 1
    with clock.frozen(at(10, 1, 0)):
        assert ratelimit.hit(request(rf), "probe") is None


@pytest.mark.django_db
def test_a_day_starts_at_midnight_in_tokyo(rf, settings):
    limit(settings, "probe", "1/d/ip")
    with clock.frozen(at(23, 59, day=1)):
        assert ratelimit.hit(request(rf), "probe") is None
        assert ratelimit.hit(request(rf), "probe") == 60
    with clock.frozen(at(0, 0, day=2)):
        assert ratelimit.hit(request(rf), "probe") is None


@pytest.mark.django_db
def test_refusals_for_the_hour_do_not_use_up_the_day(rf, settings):
    limit(settings, "probe", "1/h/ip,2/d/ip")
    with clock.frozen(at(10)):
        assert ratelimit.hit(request(rf), "probe") is None
        for _ in range(5):
            assert ratelimit.hit(request(rf), "probe") == 3600
    with clock.frozen(at(11)):
        assert ratelimit.hit(request(rf), "probe") is None  # the day's second, not its seventh
        # Over both: the answer gives the longer wait (to midnight), not the hour's.
        assert ratelimit.hit(request(rf), "probe") == 13 * 3600


@pytest.mark.django_db
def test_users_are_counted_per_account_and_visitors_per_address(rf, settings, django_user_model):
    limit(settings, "probe", "1/h/user")
    hanako = django_user_model.objects.create(email="hanako@example.jp")
    taro = django_user_model.objects.create(email="taro@example.jp")
    with clock.frozen(at(10)):
        assert ratelimit.hit(request(rf, user=hanako), "probe") is None
        assert ratelimit.hit(request(rf, "192.0.2.9", user=hanako), "probe") == 3600
        assert ratelimit.hit(request(rf, user=taro), "probe") is None  # same address
        assert ratelimit.hit(request(rf), "probe") is None
        assert ratelimit.hit(request(rf), "probe") == 3600


def stored_keys() -> list[str]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        import redis

        client = redis.Redis.from_url(backend._servers[0])
        keys = [k.decode() for k in client.scan_iter(match=f"{backend.key_prefix}:*")]
        client.close()
        return keys
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {backend._table}")  # noqa: S608 (our table name)
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_the_cache_holds_no_address_email_or_token_in_clear(rf, settings):
    limit(settings, "probe", "5/h/ip,5/h/email,5/h/token")
    with clock.frozen(at(10)):
        ratelimit.hit(
            request(rf, "203.0.113.77"), "probe", email="hanako@example.jp", token="Secr3tTok"
        )
    keys = stored_keys()
    assert len(keys) == 3
    for secret in ("203.0.113.77", "hanako", "Secr3tTok"):
        assert not any(secret in k for k in keys), keys


@pytest.mark.django_db
def test_the_production_limits_leave_room_for_real_families(rf, django_user_model):
    parent = django_user_model.objects.create(email="oya@example.jp")
    with clock.frozen(at(20)):
        # A month of regular use for two children, booked one visit at a time in an evening.
        assert all(ratelimit.hit(request(rf, user=parent), "booking") is None for _ in range(45))
        # Two guardians' phones and laptops polling the feed every five minutes for an hour.
        feed = [ratelimit.hit(request(rf), "calendar_feed", token="t") for _ in range(48)]
        assert all(wait is None for wait in feed)


def test_every_limited_route_has_a_production_limit_keyed_as_documented():
    """The values of settings.py (not a test's narrowed ones), keyed as docs/accounts.md says."""
    ours = {a: {r.per for r in ratelimit.parse(v)} for a, v in project_settings.RATE_LIMITS.items()}
    assert ours == {
        "booking": {"user"},
        "application_submit": {"user"},
        "interview_request": {"user"},
        "postal_lookup": {"ip"},
        "calendar_feed": {"token", "ip"},
        "signup": {"email"},
        "qr_check_in": {"user"},
        "open_data": {"ip"},
        "api_client": {"client"},
        "api_public": {"ip"},
    }
    allauths = project_settings.ACCOUNT_RATE_LIMITS
    keyed = {a: {v.rsplit("/", 1)[1] for v in allauths[a].split(",")} for a in allauths}
    assert keyed["signup"] == {"ip"} and keyed["login"] == {"ip"}
    assert keyed["reset_password"] == {"ip", "key"}
    assert allauths["login_failed"] == "10/m/ip,5/5m/key"  # the lockout's, unchanged


@pytest.mark.django_db
def test_a_counter_lives_as_long_as_its_window(rf, settings):
    """Raising a counter keeps its expiry (the database cache's own incr would cut a day's
    counter to the cache's default five minutes)."""
    limit(settings, "probe", "5/d/ip")
    with clock.frozen(at(0, 0, 1)):
        ratelimit.hit(request(rf), "probe")
        ratelimit.hit(request(rf), "probe")
    assert min(seconds_to_live()) > 86400


def seconds_to_live() -> list[float]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        import redis

        client = redis.Redis.from_url(backend._servers[0])
        ttls = [client.ttl(k) for k in client.scan_iter(match=f"{backend.key_prefix}:*")]
        client.close()
        return ttls
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT expires FROM {backend._table}")  # noqa: S608 (our table name)
        expiries = [row[0] for row in cursor.fetchall()]
    return [
        ((e if timezone.is_aware(e) else timezone.make_aware(e, dt.UTC)) - now).total_seconds()
        for e in expiries
    ]


def test_postgresql_counts_in_redis_and_sqlite_in_its_own_database():
    backend = caches["default"]
    if project_settings.DB_VENDOR == "postgresql":
        assert isinstance(backend, RedisCache)
        # The suite's own Redis database (tests/settings.py); production's default, database
        # 0: tests/accounts/test_session_store.py.
        assert project_settings.REDIS_URL == "redis://127.0.0.1:6379/2"
    else:
        assert isinstance(backend, DatabaseCache)
        assert backend._table == "tsuen_cache"


PRODUCTION_NEEDS = (
    "TSUEN_SECRET_KEY",
    "TSUEN_FIELD_KEYS",
    "TSUEN_CLAMD_SOCKET",
    "TSUEN_RESIDENCY_HOSTS",
)


def test_a_migration_makes_the_cache_table(tmp_path):
    """A fresh embedded database gets the cache table from ``migrate``, no manual step."""
    database = tmp_path / "fresh.sqlite3"
    env = {
        "TSUEN_DB": "sqlite",
        "TSUEN_SQLITE_PATH": str(database),
        "TSUEN_VAR_DIR": str(tmp_path / "var"),
        "PATH": "/usr/bin:/bin",
        # This run's own secrets and scanner: outside DEBUG tsuen starts with nothing less.
        **{k: v for k, v in os.environ.items() if k in PRODUCTION_NEEDS},
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "core", "-v0"],
        cwd=project_settings.REPO_DIR,
        env=env,
        check=True,
    )
    import sqlite3

    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "tsuen_cache" in tables


def test_deploy_check_refuses_a_cache_each_process_keeps_to_itself(settings):
    def errors():
        found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
        return [m.id for m in found if m.id.startswith("core.")]

    assert errors() == []
    # The counters' own check (sessions in such a cache: core.E002, tests/test_deploy_checks.py).
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert errors() == ["core.E001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert errors() == ["core.E001"]


@pytest.mark.django_db
def test_without_its_cache_a_limited_route_refuses_rather_than_lets_through(client, settings):
    """Fail closed: counters that cannot be reached stop the request with 503. (Sessions kept
    in the database here: with sessions in the same Redis the request fails even earlier, at
    its session, tests/accounts/test_session_store.py.)"""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    with clock.frozen(BOOKING_NOW):
        s = scene()
        client.force_login(s.user)
        form = {
            "slot": s.slot.pk,
            "children": [s.child.pk],
            "start": "10:00",
            "end": "11:00",
            "step": "confirm",
        }
        response = client.post(reverse("booking:book") + f"?slot={s.slot.pk}", form)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "しばらくしてから、もう一度お試しください" in response.content.decode()
    assert not Booking.unscoped.exists()


@pytest.mark.postgres_only
def test_parallel_requests_never_pass_more_than_the_limit(settings):
    """Twenty clients at once against a limit of five in Redis: exactly five get through."""
    assert isinstance(caches["default"], RedisCache)
    limit(settings, "postal_lookup", "5/h/ip")
    start = threading.Barrier(20)
    passed = []

    def one():
        start.wait()
        wait = ratelimit.hit(_AddressOnly(), "postal_lookup")
        passed.append(wait is None)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(passed) == [False] * 15 + [True] * 5


class _AddressOnly:
    """A request that carries only a client address (no session, no database)."""

    META = {"REMOTE_ADDR": "192.0.2.50"}


def test_the_429_page_says_when_to_try_again_in_japanese_first(rf, settings):
    with clock.frozen(at(10)), translation.override("ja"):
        page = ratelimit.too_many_requests(request(rf), 3600)
    assert page.status_code == 429 and page["Retry-After"] == "3600"
    text = page.content.decode()
    assert "少し時間をおいてください" in text
    assert "1時間後（令和8年12月1日 11:00以降）に、もう一度お試しください。" in text, text


@pytest.mark.django_db
def test_the_429_page_follows_the_users_language(settings):
    limit(settings, "postal_lookup", "0/m/ip")
    client = Client()
    client.cookies["django_language"] = "en"
    from tests import factories as f

    client.force_login(f.user())
    with clock.frozen(at(10, 59, 30)):
        page = client.get(reverse("certification:postal", args=["1600022"]))
    assert page.status_code == 429
    assert "You can try again in 1\xa0minute (from 1 Dec 2026 11:00)." in page.content.decode()


def test_run_keys_are_this_runs_only():
    assert cachekeys.RUN_PREFIX.startswith("tsuen-test-")
    assert caches["default"].key_prefix.startswith(cachekeys.RUN_PREFIX)
