"""Settings for the test suite: tsuen's own settings, run as production runs them (DEBUG off),
with secrets made for this run.

Outside DEBUG, tsuen refuses to start without its own TSUEN_SECRET_KEY and TSUEN_FIELD_KEYS
(settings.py). ``bin/test`` makes a fresh pair for each run and exports it; running pytest
directly gets a fresh pair here instead, set in the environment before tsuen's settings are read
so that subprocesses started by tests (manage.py, makemessages) share it. Nothing is changed
otherwise.
"""

import base64
import os
import secrets

os.environ.setdefault("TSUEN_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("TSUEN_FIELD_KEYS", "1:" + base64.b64encode(os.urandom(32)).decode("ascii"))

from tsuen.settings import *  # noqa: F403
