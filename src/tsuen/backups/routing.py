"""Check a restored database that is not ``default`` with code written for ``default``.

The audit chain verification (:mod:`tsuen.audit.verify`) and the audit trail use the default
managers and ``transaction.atomic()`` without naming a database. While a restore or a drill into
another alias checks that database, :func:`as_default` makes the alias's connection answer for
``default`` in this thread, and puts the live one back afterwards. (A database router would send
the queries there but not ``transaction.atomic()``, which on SQLite would hold the live
database's write lock for the whole verification.) Used only by the backup commands, which run
single-threaded.
"""

from __future__ import annotations

import contextlib

from django.db import DEFAULT_DB_ALIAS, connections


@contextlib.contextmanager
def as_default(alias: str):
    if alias == DEFAULT_DB_ALIAS:
        yield
        return
    live = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connections[alias]
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = live
