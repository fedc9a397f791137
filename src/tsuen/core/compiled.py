"""Querysets of the hot path, compiled to SQL once per process instead of once per request.

Building a queryset with subqueries (resolving names, joins and expressions, then compiling) costs
Django more CPU than PostgreSQL spends running the statement: the booking confirm's one statement
of facts took about a fifth of the request's Python (bench/booking_rush.py). A
:class:`CompiledQuery` keeps the ORM as the one definition of what is read: it builds the
queryset once, with placeholder values standing for the parameters, keeps the SQL and where each
placeholder landed among the statement's parameters, and then runs that SQL with each call's
values in their places (adapted for the database as Django adapts them), and reads the rows
back as the ORM would: through each column's converters, as dicts or as model instances.

Only for querysets whose SQL does not depend on the values: the same shape whatever the child or
the day (no ``__in`` lists, no branches on the values; build one query per branch instead).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.models import Aggregate, Model, QuerySet, TextField
from django.db.models.query import ModelIterable, get_related_populators

#: The kinds of parameter a compiled query takes, with a way to make the n-th placeholder of
#: each: values no real row holds, all different (a placeholder is found by equality).
_PLACEHOLDERS: dict[str, Callable[[int], Any]] = {
    "int": lambda n: -7_340_000_000 - n,
    # A small integer field (a fiscal year) refuses values outside its range: Django answers
    # no rows for them without asking the database, so its placeholders lie inside it.
    "small": lambda n: 32_767 - n,
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


@dataclass(frozen=True)
class _Compiled:
    """One queryset's statement on one database connection, and how to read its rows back."""

    sql: str
    params: list
    slots: list[str | None]  # per parameter: the value it takes, or None (a constant)
    converters: list  # (position, converters, expression): as the ORM converts each column
    select: list  # the compiler's columns, for model instances (ModelIterable's recipe)
    klass_info: dict | None  # None: a queryset of values, not of model instances
    annotation_col_map: dict | None
    fetch_mode: Any
    # The statement's column names, read from the first run's cursor (psycopg builds a column
    # object for every column each time ``description`` is read: most of a short read's cost).
    names: list[str] = field(default_factory=list)
    # Per database alias: how :meth:`CompiledQuery.objects` builds instances (the model's
    # columns, and Django's populators of the ``select_related`` objects, which keep no state
    # between rows or runs), made at the first run instead of every run.
    builders: dict = field(default_factory=dict)


class CompiledQuery:
    """``build(**values)`` returns the queryset; ``kinds`` names each value's kind (``int``,
    ``date`` or ``datetime``). A ``.values(...)`` queryset answers :meth:`rows` (dicts whose keys
    are the statement's column names: the fields' and annotations' names); a queryset of model
    instances (with ``select_related``) answers :meth:`objects`. Either way each column passes
    through the converters the ORM would apply (decryption of encrypted fields, SQLite's dates),
    so the values are what the ORM would return."""

    def __init__(
        self, build: Callable[..., QuerySet], /, optional: Iterable[str] = (), **kinds: str
    ):
        """``optional``: values the statement may leave unused (an authorization rule that does
        not read the user's ward, say); every other value must appear among its parameters."""
        self._build = build
        self._kinds = kinds
        self._optional = frozenset(optional)
        # Per database connection (its converters are bound to it): compiled at first use.
        self._compiled: WeakKeyDictionary = WeakKeyDictionary()

    def _compile(self, connection) -> _Compiled:
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
        missing = set(self._kinds) - set(slots) - self._optional
        if missing:
            raise ValueError(f"the compiled query does not use {sorted(missing)}")
        converters = compiler.get_converters([column[0] for column in compiler.select])
        return _Compiled(
            sql,
            list(params),
            slots,
            [(pos, convs, expression) for pos, (convs, expression) in converters.items()],
            compiler.select,
            compiler.klass_info if queryset._iterable_class is ModelIterable else None,
            compiler.annotation_col_map,
            queryset._fetch_mode,
        )

    def _run(self, using: str, values: dict) -> tuple[_Compiled, list, list[str]]:
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(connection)
        bound = [
            param if slot is None else _adapt(connection, self._kinds[slot], values[slot])
            for param, slot in zip(compiled.params, compiled.slots, strict=True)
        ]
        with cursor(connection) as db_cursor:
            db_cursor.execute(compiled.sql, bound)
            if not compiled.names:
                compiled.names.extend(column[0] for column in db_cursor.description)
            rows = db_cursor.fetchall()
        if compiled.converters:
            rows = [_converted(row, compiled.converters, connection) for row in rows]
        return compiled, rows, compiled.names

    def _impossible(self, values: dict) -> bool:
        """An integer no 64-bit column holds (a huge id typed into an address): no row can match,
        as the ORM answers without asking the database (SQLite would overflow)."""
        return any(
            self._kinds[name] in ("int", "small")
            and isinstance(value, int)
            and not -(2**63) <= value < 2**63
            for name, value in values.items()
        )

    def rows(self, using: str = "default", **values) -> list[dict]:
        if self._impossible(values):
            return []
        _compiled, rows, names = self._run(using, values)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def row(self, using: str = "default", **values) -> dict:
        """The one row (``DoesNotExist``-like ``LookupError`` when there is none)."""
        found = self.rows(using, **values)
        if len(found) != 1:
            raise LookupError(f"expected one row, found {len(found)}")
        return found[0]

    def objects(self, using: str = "default", **values) -> list[Model]:
        """The model instances, as the ORM builds them (Django's ``ModelIterable``): the
        selected fields, the ``select_related`` objects and the annotations."""
        if self._impossible(values):
            return []
        compiled, rows, _names = self._run(using, values)
        info, select = compiled.klass_info, compiled.select
        if info is None:
            raise TypeError("objects() needs a queryset of model instances, not of values")
        model = info["model"]
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        built = compiled.builders.get(using)
        if built is None:
            built = compiled.builders[using] = (
                [column[0].target.attname for column in select[start:end]],
                get_related_populators(info, select, using, compiled.fetch_mode),
            )
        init_list, populators = built
        found = []
        for row in rows:
            obj = model.from_db(using, init_list, row[start:end], fetch_mode=compiled.fetch_mode)
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (compiled.annotation_col_map or {}).items():
                setattr(obj, name, row[position])
            found.append(obj)
        if compiled.fetch_mode.track_peers:
            peers = [weakref.ref(obj) for obj in found]
            for obj in found:
                obj._state.peers = peers
        return found


def cursor(connection):
    """A cursor for a statement that runs with the same SQL on every request (a compiled
    query, the audit trail's insert): on PostgreSQL a *prepared* one (the server parses and
    plans each statement once per connection, not on every request: planning cost PostgreSQL
    more than running these short reads), through Django's wrapper all the same (the statement
    is logged and counted, and passes the connection's execute wrappers)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors:
        # One prepared cursor per database connection, kept while the connection lasts
        # (replaced with it): a psycopg cursor made and closed for every statement cost more
        # Python than Django's whole wrapper around the statement. Each use runs its statement
        # and reads its rows at once (nothing iterates a result while another runs), so one
        # cursor serves them all.
        kept = getattr(connection, _KEPT, None)
        if kept is None or kept.connection is not raw:
            kept = _prepared_cursor_class()(raw)
            setattr(connection, _KEPT, kept)
        return connection._prepare_cursor(kept)


_KEPT = "_tsuen_prepared_cursor"


@cache
def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        """Server-side binding (the values travel apart from the statement) and a prepared
        statement from the first run (Django turns psycopg's automatic preparing off, for
        connection poolers in transaction mode: docs/deploy.md)."""

        def close(self):
            """Kept open for the next statement (``with cursor(...)`` closes on exit): closed
            with its connection."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            super().execute(query, params, prepare=True, binary=binary)
            # Logged (tests, DEBUG) as Django logs its own statements: Django reads
            # ``cursor._query.query``, which psycopg leaves unset for server-side binding.
            self._query = _AsLogged(self.connection, query, params)
            return self

    return PreparedCursor


class _AsLogged:
    """A statement as Django's query log shows it (the values in place), composed only when
    the log reads it."""

    def __init__(self, raw_connection, sql: str, params):
        self._connection, self._sql, self._params = raw_connection, sql, params

    @property
    def query(self) -> bytes:
        from psycopg import ClientCursor

        return ClientCursor(self._connection).mogrify(self._sql, self._params).encode()


def _converted(row: tuple, converters: list, connection) -> tuple:
    values = list(row)
    for position, convs, expression in converters:
        value = values[position]
        for converter in convs:
            value = converter(value, expression, connection)
        values[position] = value
    return tuple(values)


# --- Inserts ----------------------------------------------------------------------------------


def insert(obj: Model, using: str = "default") -> Model:
    """``obj.save()`` of a new row, with the statement written once per model instead of built
    by the ORM on every call (an INSERT through ``save`` spent more Python on the statement than
    PostgreSQL on the row): the same ``pre_save`` and ``post_save`` signals (the read-only ward's
    guard, ``incident.guard``, refuses here as it does in ``save``), each field's ``pre_save``
    (``auto_now_add``) and preparation for the database, then one prepared statement that
    returns the new primary key (a key given in ``obj``, a UUID say, is inserted as given)."""
    from django.db.models.signals import post_save, pre_save

    model = type(obj)
    meta = model._meta
    connection = connections[using]
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    fields, returning = _insert_fields(model, obj.pk is None)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with cursor(connection) as db_cursor:
        db_cursor.execute(insert_statement(model, fields, using, returning=returning), values)
        if returning:
            [raw] = db_cursor.fetchone()
            for converter in meta.pk.get_db_converters(connection):
                raw = converter(raw, meta.pk, connection)
            obj.pk = raw
    obj._state.adding = False
    obj._state.db = using
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
    return obj


@cache
def _insert_fields(model, generated_pk: bool) -> tuple[tuple, bool]:
    """The concrete fields an insert writes (an auto primary key left to the database: then
    returned), and whether the key is returned."""
    meta = model._meta
    if meta.parents or any(f.has_db_default() for f in meta.local_concrete_fields):
        # Values the database makes (other than the key) or a parent's table: save() knows how.
        raise TypeError(f"compiled.insert does not write {meta.label}: use save()")
    auto = generated_pk and meta.pk.db_returning
    fields = tuple(f for f in meta.local_concrete_fields if not (auto and f.primary_key))
    return fields, auto


@cache
def insert_statement(model, fields: tuple, using: str, rows: int = 1, returning: bool = False):
    """``INSERT INTO`` the model's table ``rows`` rows of ``fields`` (their values as
    parameters, row after row), returning the new primary key if asked: written once per
    shape (:func:`insert`, the audit trail's appends)."""
    quote = connections[using].ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = ", ".join([row] * rows)
    # Table and column names from the model; the values travel as parameters.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values}"  # noqa: S608 # nosec B608
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql


class JSONList(Aggregate):
    """The group's values as the text of one JSON array (``json_agg`` on PostgreSQL,
    ``json_group_array`` on SQLite), for a correlated subquery that brings a few rows along
    inside another statement's row: e.g. a child's counted visits in the booking's statement of
    facts (one statement instead of two). ``JSONArray`` values nest as arrays on both."""

    function = "JSON_AGG"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(%(function)s(%(expressions)s) AS text)"
        return self.as_sql(compiler, connection, template=template)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY")
