"""Settings for the test suite: tsuen's own settings, run as production runs them (DEBUG off),
with secrets made for this run.

Outside DEBUG, tsuen refuses to start without its own TSUEN_SECRET_KEY and TSUEN_FIELD_KEYS
(settings.py). ``bin/test`` makes a fresh pair for each run and exports it; running pytest
directly gets a fresh pair here instead, set in the environment before tsuen's settings are read
so that subprocesses started by tests (manage.py, makemessages) share it. The one other
difference: PostgreSQL runs use Redis database 2 (below)."""

import base64
import os
import secrets

os.environ.setdefault("TSUEN_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("TSUEN_FIELD_KEYS", "1:" + base64.b64encode(os.urandom(32)).decode("ascii"))
# The audit chain's key (the sequencer and verification refuse to run without one).
os.environ.setdefault("TSUEN_AUDIT_KEYS", "1:" + base64.b64encode(os.urandom(32)).decode("ascii"))
# On PostgreSQL, sessions and counters live in the machine's Redis (each test under its own key
# prefix, tests/conftest.py), in a database of the suite's own: older checkouts' tests still
# FLUSHDB database 0, which would sign this run's clients out mid-test.
# Residency (tsuen.core.residency): the suite's PostgreSQL, Redis and clamd are on this machine,
# and nothing else may be reached (the outbound guard, tests/conftest.py).
os.environ.setdefault("TSUEN_RESIDENCY_HOSTS", "localhost,127.0.0.0/8,::1")
if os.environ.get("TSUEN_DB") == "postgresql":
    os.environ.setdefault("TSUEN_REDIS_URL", "redis://127.0.0.1:6379/2")

from tsuen.settings import *  # noqa: F403

WEBHOOK_ALLOW_LOOPBACK = True
