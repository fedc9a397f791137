"""What the national-size benchmarks share: a throw-away PostgreSQL test database, rows made
in the database by copying one template row (``INSERT ... SELECT`` over ``generate_series``,
so a million rows never pass through Python), and the figures (percentiles, memory).

A template row is made with the ORM (every NOT NULL column gets the value the model gives it);
:func:`clone` then inserts copies of it with some columns replaced by SQL expressions.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    # As bench.dashboard: tsuen's settings with secrets made for the run, a scanner address
    # nobody answers on (nothing is uploaded), PostgreSQL unless told otherwise.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("TSUEN_CLAMD_SOCKET", "/nonexistent/tsuen-bench-no-uploads.sock")
    os.environ.setdefault("TSUEN_DB", "postgresql")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark needs PostgreSQL (TSUEN_DB=postgresql)")


@contextlib.contextmanager
def throwaway_database():
    """Django's ``test_<name>`` database, made for the run and dropped at the end."""
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        yield
    finally:
        teardown_databases(databases, verbosity=0)
        teardown_test_environment()


def columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def clone(
    model, template_pk: int, source: str, overrides: dict[str, str], params=(), where: str = ""
) -> int:
    """Insert one copy of the row ``template_pk`` of ``model`` per row of ``source`` (SQL
    after FROM, e.g. ``generate_series(1, 1000) AS i``), with ``overrides`` (column -> SQL
    expression over ``source`` and the template ``t``), for the rows that meet ``where`` (SQL).
    ``params`` fill the ``%s`` in ``overrides``, ``source`` and ``where``, in that order.
    Returns the rows inserted."""
    from django.db import connection

    table = model._meta.db_table
    cols = columns(model)
    unknown = set(overrides) - set(cols)
    if unknown:
        raise ValueError(f"{table} has no columns {sorted(unknown)}")
    select = ", ".join(overrides.get(c, f't."{c}"') for c in cols)
    # Our own table and column names and SQL written in bench/, never user input.
    sql = (
        f'INSERT INTO "{table}" ({", ".join(f'"{c}"' for c in cols)}) '  # noqa: S608
        f'SELECT {select} FROM "{table}" t, {source} WHERE t.id = {int(template_pk)}'
        + (f" AND ({where})" if where else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def sql(statement: str, params=()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def analyze() -> None:
    """Fresh planner statistics after the bulk inserts (autovacuum would do it later)."""
    sql("ANALYZE")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


def maxrss_mb() -> float:
    """The process's peak resident memory so far (Linux: kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


CAVEAT = (
    "(measured on a shared 2-core machine: compare the sizes within one run, not the absolute "
    "figures)"
)
