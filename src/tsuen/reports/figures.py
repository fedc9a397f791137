"""The visit figures of the dashboard: folding the changes the triggers append into the
summaries, and reading a summary together with the changes not folded yet.

See :mod:`tsuen.reports.models` for what is counted and how the database keeps it.

**Exact under concurrency.** Requests only append changes (an INSERT, no lock another request
waits for). On PostgreSQL the fold is one statement: it deletes a batch of changes and adds
their sums to the summaries (``DELETE ... RETURNING`` feeding four ``INSERT ... ON CONFLICT DO
UPDATE``), so every change is either still in ``reports_visitchange`` or in a summary, never in
both or neither, for any reader; in the same transaction it then sets the last visit
(``reports_childlast``) of the children the batch touched, read only for children without
changes; two folds at once queue on an advisory lock (and a change
deleted by one is not seen by the other). On SQLite the fold's statements run in one write
transaction, and SQLite admits one writer. Every read is one statement over a summary *and* the
changes (``UNION ALL``), so it sees one snapshot: the same figures before and after a fold.
If the fold does not run, the figures stay exact; only the reads slow down as changes pile up.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import F, QuerySet

DEFAULT_BATCH_SIZE = 50_000
#: Any fixed number: the fold's advisory lock on PostgreSQL.
FOLD_LOCK = 0x7473_7265_706F_7274  # "tsreport"

_CHANGES = "reports_visitchange"
_COLUMNS = (
    "facility_id, child_id, ward_id, date, visits, attended_minutes, booked_minutes, "
    "counting_minutes"
)


def _month(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"CAST(date_trunc('month', CAST({column} AS timestamp)) AS date)"
    return f"date({column}, 'start of month')"


def _into_summaries(vendor: str, source: str) -> list[str]:
    """INSERT ... SELECT ... ON CONFLICT DO UPDATE statements adding the changes of ``source``
    (a table or CTE name, with the change columns) to the four summaries."""
    month = _month(vendor, "date")

    def upsert(table, keys, key_sql, sums, where=""):
        names = ", ".join(keys + [name for name, _ in sums])
        select = ", ".join(key_sql + [f"SUM({expr})" for _, expr in sums])
        group = ", ".join(str(i + 1) for i in range(len(keys)))
        nonzero = " OR ".join(f"SUM({expr}) <> 0" for _, expr in sums)
        update = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name, _ in sums)
        return (
            f"INSERT INTO {table} ({names}) SELECT {select} FROM {source} "  # noqa: S608  # nosec B608
            f"WHERE {where or '1 = 1'} GROUP BY {group} HAVING {nonzero} ORDER BY {group} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update}"
        )

    return [
        upsert(
            "reports_facilitymonth",
            ["facility_id", "month"],
            ["facility_id", month],
            [
                ("visits", "visits"),
                ("booked_minutes", "booked_minutes"),
                ("attended_minutes", "attended_minutes"),
            ],
        ),
        upsert(
            "reports_wardday",
            ["ward_id", "date"],
            ["ward_id", "date"],
            [("visits", "visits"), ("attended_minutes", "attended_minutes")],
            where="ward_id IS NOT NULL",
        ),
        upsert(
            "reports_childmonth",
            ["month", "child_id"],
            [month, "child_id"],
            [("counting_minutes", "counting_minutes")],
        ),
        upsert(
            "reports_childday", ["child_id", "date"], ["child_id", "date"], [("visits", "visits")]
        ),
    ]


def fold(*, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Fold the changes appended before the call into the summaries, ``batch_size`` at a time
    (one transaction each); return how many were folded. Changes appended meanwhile wait for the
    next call."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {_CHANGES}")  # noqa: S608  # nosec B608
        (last,) = cursor.fetchone()
    if last is None:
        return 0
    folded = 0
    while True:
        done = _fold_batch(last, batch_size)
        folded += done
        if done == 0:
            return folded


#: Set the last attended day again for the children a batch touched (from the summary).
_LAST_VISITS = (
    "INSERT INTO reports_childlast (child_id, last_visit) "
    "SELECT c.child_id, (SELECT MAX(d.date) FROM reports_childday d "
    "WHERE d.child_id = c.child_id AND d.visits > 0) "
    "FROM (SELECT DISTINCT t.child_id FROM ({children}) AS t) AS c WHERE 1 = 1 "
    "ON CONFLICT (child_id) DO UPDATE SET last_visit = excluded.last_visit"
)


def _fold_batch(last: int, batch_size: int) -> int:
    vendor = connection.vendor
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
            ctes = ", ".join(
                f"s{i} AS ({statement})"
                for i, statement in enumerate(_into_summaries(vendor, "moved"))
            )
            cursor.execute(
                f"WITH moved AS (DELETE FROM {_CHANGES} WHERE id IN "  # noqa: S608  # nosec B608
                f"(SELECT id FROM {_CHANGES} WHERE id <= %s ORDER BY id LIMIT %s) "
                f"RETURNING {_COLUMNS}), {ctes} "
                "SELECT COUNT(*), COALESCE(array_agg(DISTINCT child_id), '{}') FROM moved",
                [last, batch_size],
            )
            count, children = cursor.fetchone()
            # The statement above cannot see its own upserts; this one, in its transaction, can.
            cursor.execute(
                _LAST_VISITS.format(children="SELECT unnest(%s::bigint[]) AS child_id"), [children]
            )
            return count
        cursor.execute(
            f"SELECT MAX(id), COUNT(*) FROM (SELECT id FROM {_CHANGES} "  # noqa: S608  # nosec B608
            "WHERE id <= %s ORDER BY id LIMIT %s)",
            [last, batch_size],
        )
        upto, count = cursor.fetchone()
        if not count:
            return 0
        batch = f"(SELECT * FROM {_CHANGES} WHERE id <= {int(upto)})"  # noqa: S608  # nosec B608
        for statement in _into_summaries(vendor, batch):
            cursor.execute(statement)
        children = f"SELECT child_id FROM {batch} AS b"  # noqa: S608  # nosec B608
        cursor.execute(_LAST_VISITS.format(children=children))
        cursor.execute(f"DELETE FROM {_CHANGES} WHERE id <= %s", [upto])  # noqa: S608  # nosec B608
        return count


# --- reading ---------------------------------------------------------------------------------


def summed(
    keys: list[str],
    sums: dict[str, str],
    parts: list[QuerySet],
    having: str = "",
    sums_params: tuple = (),
) -> list[tuple]:
    """Rows of ``keys`` and the ``sums`` (name -> SQL over the parts' columns, with
    ``sums_params`` for its placeholders) over the ``UNION ALL`` of ``parts`` (querysets whose
    ``values()`` have the same names, in the same order), grouped by the keys: one statement,
    one snapshot. The parts keep their managers' tenant scope."""
    sql, params = union(parts)
    group = ", ".join(keys)
    select = ", ".join([*keys, *(f"{expr} AS {name}" for name, expr in sums.items())])
    having_sql = f" HAVING {having}" if having else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM ({sql}) AS x GROUP BY {group}{having_sql}",  # noqa: S608  # nosec B608
            (*sums_params, *params),
        )
        return cursor.fetchall()


def union(parts: list[QuerySet]) -> tuple[str, tuple]:
    """The SQL and parameters of ``part UNION ALL part ...``."""
    sqls, params = [], []
    for part in parts:
        sql, part_params = part.query.sql_with_params()
        sqls.append(sql)
        params.extend(part_params)
    return " UNION ALL ".join(sqls), tuple(params)


def as_date(value) -> dt.date:
    """A date read by raw SQL (SQLite answers text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def columns(queryset: QuerySet, **names: str) -> QuerySet:
    """``queryset.values()`` of the given fields under the given names (in that order)."""
    return queryset.values(**{name: F(field) for name, field in names.items()})
