"""Settings of the reference booking view (bench/booking_rush.py): the bare minimum.

Same PostgreSQL database as tsuen (the benchmark passes its name), same ``TSUEN_SECRET_KEY`` and
the same session store (tsuen's sessions live in Redis with PostgreSQL, under the benchmark's
``TSUEN_CACHE_PREFIX``: the reference reads the sessions tsuen made), persistent connections
like tsuen's, and only the sessions and CSRF middleware.
"""

import os

SECRET_KEY = os.environ["TSUEN_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.sessions"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "bench.reference.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["TSUEN_PG_NAME"],
        "USER": os.environ.get("TSUEN_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("TSUEN_PG_PASSWORD", ""),
        "HOST": os.environ.get("TSUEN_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("TSUEN_PG_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
# Where tsuen keeps its sessions (tsuen/settings.py: Redis whenever TSUEN_REDIS_URL is set, its
# default with PostgreSQL); Django's own cache store reads the same keys.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("TSUEN_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "KEY_PREFIX": os.environ.get("TSUEN_CACHE_PREFIX", "tsuen"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
USE_I18N = False
#: The ward's monthly hours cap in minutes (the benchmark passes its policy's).
MONTH_CAP_MINUTES = int(os.environ.get("BENCH_MONTH_CAP_MINUTES", "600"))
#: Lock the slot and child rows (the default). ``0`` only for the benchmark's control run
#: (``--control``), which must then find overbooked slots or broken caps: the checks can fail.
LOCKS = os.environ.get("BENCH_REFERENCE_LOCKS", "1") == "1"
LOGGING = {"version": 1, "disable_existing_loggers": False}
