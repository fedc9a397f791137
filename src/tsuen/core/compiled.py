"""Querysets of the hot path, compiled to SQL once per process instead of once per request.

Building a queryset with subqueries (resolving names, joins and expressions, then compiling) costs
Django more CPU than PostgreSQL spends running the statement: the booking confirm's one statement
of facts took about a fifth of the request's Python (bench/booking_rush.py). A
:class:`CompiledQuery` keeps the ORM as the one definition of what is read: it builds the
queryset once, with placeholder values standing for the parameters, keeps the SQL and where each
placeholder landed among the statement's parameters, and then runs that SQL with each call's
values in their places (adapted for the database as Django adapts them).

Only for querysets whose SQL does not depend on the values: the same shape whatever the child or
the day (no ``__in`` lists, no branches on the values; build one query per branch instead). The
rows come back as dicts of the database's own values: no model instances and no field
converters (a boolean is 0 or 1 on SQLite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

#: The kinds of parameter a compiled query takes, with a way to make the n-th placeholder of
#: each: values no real row holds, all different (a placeholder is found by equality).
_PLACEHOLDERS: dict[str, Callable[[int], Any]] = {
    "int": lambda n: -7_340_000_000 - n,
    "date": lambda n: dt.date(1901, 1, 1) + dt.timedelta(days=n),
    "datetime": lambda n: dt.datetime(1901, 1, 1, 0, 0, n, tzinfo=dt.UTC),
}


def _adapt(connection, kind: str, value):
    """A value as the ORM passes it to the database for a field of this kind."""
    if value is None:
        return None
    if kind == "date":
        return connection.ops.adapt_datefield_value(value)
    if kind == "datetime":
        return connection.ops.adapt_datetimefield_value(value)
    return value


class CompiledQuery:
    """``build(**values)`` returns the queryset, with ``.values(...)`` (a row's keys are the
    statement's column names: the fields' and annotations' names); ``kinds`` names each
    value's kind (``int``, ``date`` or ``datetime``)."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: str):
        self._build = build
        self._kinds = kinds
        self._compiled: dict[str, tuple[str, list, list[str | None]]] = {}

    def _compile(self, connection) -> tuple[str, list, list[str | None]]:
        placeholders = {
            name: _PLACEHOLDERS[kind](n) for n, (name, kind) in enumerate(self._kinds.items())
        }
        queryset = self._build(**placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        adapted = {
            _adapt(connection, self._kinds[name], value): name
            for name, value in placeholders.items()
        }
        slots = [adapted.get(param) for param in params]
        missing = set(self._kinds) - set(slots)
        if missing:
            raise ValueError(f"the compiled query does not use {sorted(missing)}")
        return sql, list(params), slots

    def rows(self, using: str = "default", **values) -> list[dict]:
        connection = connections[using]
        key = connection.vendor
        if key not in self._compiled:
            self._compiled[key] = self._compile(connection)
        sql, params, slots = self._compiled[key]
        bound = [
            param if slot is None else _adapt(connection, self._kinds[slot], values[slot])
            for param, slot in zip(params, slots, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def row(self, using: str = "default", **values) -> dict:
        """The one row (``DoesNotExist``-like ``LookupError`` when there is none)."""
        found = self.rows(using, **values)
        if len(found) != 1:
            raise LookupError(f"expected one row, found {len(found)}")
        return found[0]
