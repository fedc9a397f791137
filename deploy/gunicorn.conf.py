"""gunicorn's configuration for tsuen in production (``bin/serve``; docs/deploy.md).

Worker model: synchronous workers, one request at a time each, as many as the machine has cores
by default (``TSUEN_WEB_WORKERS``). A booking is short work that waits on PostgreSQL row locks;
``bench/booking_rush.py`` measured it with 2 sync workers on 2 cores. Each worker keeps its
database connection (``CONN_MAX_AGE`` in settings.py): a new PostgreSQL connection costs about
10 ms a request.

Every value comes from a ``TSUEN_*`` environment variable so that the same file serves a
laptop, the benchmark and production:

- ``TSUEN_BIND`` (default ``127.0.0.1:8000``): the address; a reverse proxy in front
  terminates TLS (docs/deploy.md).
- ``TSUEN_WEB_WORKERS`` (default: the number of CPUs): sync workers.
- ``TSUEN_WEB_THREADS`` (default 1): more than 1 makes them threaded (gthread) workers.
- ``TSUEN_WEB_TIMEOUT`` (default 30): seconds before a silent worker is killed and restarted.
- ``TSUEN_ACCESS_LOG`` (default ``-``, standard output): a file path, or empty for none.
- ``TSUEN_WSGI_APP`` (default ``tsuen.wsgi:application``): the benchmark serves its reference
  view with the same file.
"""

import os
import sys
from pathlib import Path

_repo = Path(__file__).resolve().parent.parent
# gunicorn applies ``pythonpath`` only when it serves, not for ``--check-config``: put the code
# on the path here, where both read it.
for _path in (str(_repo), str(_repo / "src")):
    if _path not in sys.path:
        sys.path.insert(0, _path)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)  # a typo stops start-up with its name in the traceback
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


wsgi_app = os.environ.get("TSUEN_WSGI_APP", "tsuen.wsgi:application")
chdir = str(_repo)
bind = os.environ.get("TSUEN_BIND", "127.0.0.1:8000").split(",")

workers = _int("TSUEN_WEB_WORKERS", os.cpu_count() or 1)
# One thread a worker (sync) unless TSUEN_WEB_THREADS says more: then gunicorn's threaded worker
# (gthread), each thread with its own database connection. docs/deploy.md has the measurements.
threads = _int("TSUEN_WEB_THREADS", 1)
worker_class = "sync" if threads == 1 else "gthread"
timeout = _int("TSUEN_WEB_TIMEOUT", 30)
graceful_timeout = 30
# Sync workers close the connection after each response; the proxy keeps the clients' ones.
keepalive = 2
# Recycle a worker now and then (jitter: not all at once) against slow leaks.
max_requests = 5000
max_requests_jitter = 500
# Requests no larger than the application accepts (uploads are limited by Django too).
limit_request_line = 8190

accesslog = os.environ.get("TSUEN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("TSUEN_GUNICORN_LOG_LEVEL", "info")
# The client address is tsuen's business (TSUEN_TRUSTED_PROXIES, core/middleware.py): gunicorn
# itself trusts no forwarding header.
forwarded_allow_ips = ""
proc_name = "tsuen"
