"""Query counts and timings of the ward's dashboard and review queue at a ward's size.

    .venv/bin/python -m bench.dashboard [--children 200] [--facilities 30] [--days 365] [--runs 5]
    TSUEN_DB=postgresql .venv/bin/python -m bench.dashboard
    TSUEN_DB=postgresql .venv/bin/python -m bench.dashboard --scale 1,10  # 200/30 -> 2,000/300
    TSUEN_DB=postgresql .venv/bin/python -m bench.dashboard --large  # 1,000/50 -> 10,000/500

With ``--scale``, the sizes are multiples of ``--children`` and ``--facilities`` (in place of
"small" and "ward") and the table has p95 beside the median; ``--large`` is the issue's large
ward at 10x (10,000 certified children, 500 facilities, a year of visits: about 250,000
bookings, several minutes to build) with 1x a tenth of it.

Builds a throw-away test database (Django's test-database machinery: ``test_<name>``, removed
at the end), a small ward and a ward-size one with tests/wardsize.py, logs staff in with their
second factor and requests each page ``--runs`` times. Prints the figures; asserts nothing (the
pinned counts live in tests/reports/test_wardsize.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Issue 11: the dashboard and the review queue of a large ward, p95.
TARGET_P95_MS = 300


def _setup_django() -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    # tests.settings: tsuen's settings with secrets made for the run (production refuses to
    # start without its own).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    # Outside DEBUG tsuen starts only with a virus scanner configured (docs/files.md). The
    # benchmark uploads nothing: an address nobody answers on satisfies start-up and would
    # refuse any upload.
    os.environ.setdefault("TSUEN_CLAMD_SOCKET", "/nonexistent/tsuen-bench-no-uploads.sock")
    import django

    django.setup()


def _measure(client, url: str, runs: int) -> tuple[int, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, times = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        counts.append(len(queries.captured_queries))
    return max(counts), times


def _explain(client, url: str) -> list[tuple[float, str]]:
    """The execution time (EXPLAIN (ANALYZE, BUFFERS)) of each SELECT of one request."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timed = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        ms = float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1))
        timed.append((ms, " ".join(sql.split())[:90]))
    return timed


def run(
    children: int,
    facilities: int,
    days: int,
    runs: int,
    scales: list[int] | None = None,
    explain: bool = False,
) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from tests import factories as f
    from tests import wardsize

    from tsuen.accounts.models import Role
    from tsuen.accounts.testing import login_with_second_factor
    from tsuen.core import clock, tenancy
    from tsuen.reports import figures

    today = clock.today()
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, today {today}")
    if scales:
        sizes = {
            f"{s}x": dict(
                children=children * s, facilities=facilities * s, days=days, waiting=20 * s
            )
            for s in scales
        }
    else:
        sizes = {
            "small": dict(children=10, facilities=2, days=40, waiting=2),
            "ward": dict(children=children, facilities=facilities, days=days, waiting=20),
        }
    header = f"{'size':6} {'page':22} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}"
    rows = []
    explained = []
    for size, shape in sizes.items():
        with tenancy.cross_tenant("bench: building a ward"):
            started = time.perf_counter()
            ward = wardsize.build(today, **shape)
            built = time.perf_counter() - started
            # The visits reach the dashboard's summaries as changes appended by the database
            # triggers; fold them as `manage.py fold_visit_figures --loop` would within a minute.
            folded = time.perf_counter()
            figures.fold()
            folded = time.perf_counter() - folded
            if connection.vendor == "postgresql":
                # Planner statistics and the visibility map for the new rows, as autovacuum
                # would make them soon after a real ward's data arrived (without them the
                # planner guesses 1 row a table).
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
            accounts = {}
            for role in (Role.MUNICIPAL_ADMIN, Role.AUDITOR, Role.MUNICIPAL_REVIEWER):
                accounts[role] = f.user(role, municipality=ward.municipality)
                f.second_factor(accounts[role])
        print(
            f"{size}: {len(ward.children)} children, {len(ward.facilities)} facilities, "
            f"{ward.bookings} bookings ({ward.attended} attended), {ward.waiting} waiting; "
            f"built in {built:.1f}s, figures folded in {folded:.1f}s"
        )
        pages = [
            ("dashboard (admin)", Role.MUNICIPAL_ADMIN, reverse("reports:dashboard")),
            ("dashboard (auditor)", Role.AUDITOR, reverse("reports:dashboard")),
            ("review queue", Role.MUNICIPAL_REVIEWER, reverse("certification:staff_queue")),
        ]
        for name, role, url in pages:
            client = Client()
            login_with_second_factor(client, accounts[role])
            client.get(url)  # warm up (templates, translations)
            count, times = _measure(client, url, runs)
            p95 = (
                statistics.quantiles(times, n=20, method="inclusive")[-1] if runs > 1 else times[0]
            )
            mark = "  > 300 ms target" if p95 >= TARGET_P95_MS else ""
            rows.append(
                f"{size:6} {name:22} {count:7d} {statistics.median(times):10.1f} {p95:8.1f} "
                f"{max(times):8.1f}{mark}"
            )
            if explain and role == Role.MUNICIPAL_ADMIN and connection.vendor == "postgresql":
                explained.append((size, _explain(client, url)))
    print()
    print(header)
    print("\n".join(rows))
    for size, statements in explained:
        total = sum(ms for ms, _ in statements)
        print(f"\n{size}: the SELECTs of one admin dashboard, EXPLAIN ANALYZE execution ms")
        print(f"(sum {total:.1f} ms; slowest first)")
        for ms, sql in sorted(statements, reverse=True)[:8]:
            print(f"  {ms:7.1f}  {sql}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--facilities", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="PostgreSQL: the EXPLAIN ANALYZE time of each SELECT of the admin dashboard",
    )
    parser.add_argument("--scale", default="", help="e.g. 1,10: multiples of the ward's size")
    parser.add_argument(
        "--large", action="store_true", help="1,000 children and 50 facilities, times 1 and 10"
    )
    args = parser.parse_args(argv)
    if args.large:
        args.children, args.facilities, args.scale = 1000, 50, args.scale or "1,10"
        args.runs = max(args.runs, 20)
    scales = [int(s) for s in args.scale.split(",")] if args.scale else None
    _setup_django()
    from bench import _bulk

    with _bulk.throwaway_database():
        run(args.children, args.facilities, args.days, args.runs, scales, args.explain)


if __name__ == "__main__":
    main()
