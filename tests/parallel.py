"""Real parallel requests for race tests (PostgreSQL, ``transaction=True`` tests)."""

from __future__ import annotations

import threading

from django.db import connection


def race(requests):
    """POST (client, url, data) requests at once, one thread each (each with its own database
    connection, closed at the end); returns the status codes in order. An exception in a
    thread fails the test, never vanishes."""
    start = threading.Barrier(len(requests))
    codes: list[int | Exception] = [0] * len(requests)

    def run(i, client, url, data):
        try:
            start.wait()
            codes[i] = client.post(url, data).status_code
        except Exception as error:  # reported below, never swallowed
            codes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    errors = [c for c in codes if isinstance(c, Exception)]
    assert not errors, errors
    return codes
