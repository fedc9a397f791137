"""Django's PostgreSQL backend with a health check that costs no round trip
(``ENGINE = "tsuen.core.postgresql"``; settings.py, docs/deploy.md).

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before the first statement of every
request by sending ``SELECT 1``: one round trip more for each request (the booking rush's
confirms among them), to learn what the connection usually already knows. A server that ends a
session (a restart, ``pg_terminate_backend``, an idle timeout) says so on the socket: it sends
its last message and closes, and the socket of an idle connection becomes readable. So the
check here asks the socket first, without waiting: nothing to read and psycopg's connection not
closed or broken means usable; anything to read (the server's goodbye, or a notice it sent
meanwhile) means the real check, Django's ``SELECT 1``, which reads it, and fails when the
session is gone. A peer that vanished without a word (a cut cable) is found by neither check
before the request's first statement waits on it: the same as before.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
        except (OSError, ValueError, base.Database.Error):
            return False
        if readable:
            return super().is_usable()
        return True
