"""One month's claims at country size: every facility generates its claims, the ward exports.

    TSUEN_DB=postgresql .venv/bin/python -m bench.claims_month             # 5,000 and 50,000 visits
    TSUEN_DB=postgresql .venv/bin/python -m bench.claims_month --national  # 100,000 and 1,000,000
    .venv/bin/python -m bench.claims_month --visits 20000 --scale 1,10 --per-facility 20

Each size runs in its own process (so that its peak memory is its own) on its own throw-away
PostgreSQL database. The month is the last one that has ended. Built in SQL (copies of template
rows over ``generate_series``): ``visits / --per-facility`` facilities (20 visits each, as 1,000,000
visits over 50,000 facilities) in municipalities of ``--per-municipality`` facilities, each with
its manager, ten place slots in the month, and half as many children as visits (households in
the facility's municipality, ages in classes 0-2), each child attending twice (10:00-12:00,
checked in and out). Then, timed: the month run (``billing.services_month.generate_month_claims``,
as ``manage.py generate_month_claims --as`` runs it, as a national operator), or with
``--path facility`` the old way, ``billing.services.generate_claims`` for every facility as its
manager (as the claims page calls it), one facility after the other; the claims of one
ward set approved (in SQL) and its finance export (``services_review.export_month``, CSV and
Excel) as the ward's payments officer. Prints the total time, the time per 100,000 visits, the
process's CPU time, the SQL statements a facility and peak memory (``ru_maxrss`` of the process
before and after the claims, and tracemalloc's peak
during them with ``--tracemalloc``, which slows Python down). Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
import tracemalloc

from bench import _bulk

TARGET_S_PER_100K = 60


def last_month(today: dt.date) -> tuple[int, int]:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def _days(year: int, month: int, count: int = 10) -> list[dt.date]:
    """The first ``count`` weekdays of the month."""
    day, days = dt.date(year, month, 1), []
    while len(days) < count:
        if day.isoweekday() <= 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def build(visits: int, per_facility: int, per_municipality: int, year: int, month: int) -> dict:
    from tests import factories as f

    from tsuen.accounts.models import Role, User
    from tsuen.attendance.models import Attendance, AttendanceStatus
    from tsuen.booking.models import Booking
    from tsuen.facilities.models import Facility, PlaceSlot
    from tsuen.families.models import Child, Household
    from tsuen.municipalities.models import Municipality

    facilities = max(1, visits // per_facility)
    children = max(1, per_facility // 2)  # each comes twice
    municipalities = max(1, -(-facilities // per_municipality))
    days = _days(year, month)
    day_list = "ARRAY[" + ",".join(f"'{d.isoformat()}'::date" for d in days) + "]"

    ward = f.municipality()
    place = f.facility(ward)
    parent = f.user()
    household = f.household(ward)
    kid = f.child(household)
    slot = f.place_slot(place, days[0], capacity=20)
    booking = f.booking(kid, slot, parent)
    attendance = Attendance.objects.create(
        booking=booking,
        status=AttendanceStatus.PRESENT,
        checked_in_at=booking.starts_at,
        checked_out_at=booking.ends_at,
        billable_minutes=120,
        recorded_by=parent,
    )
    manager = f.user(Role.FACILITY_MANAGER, facility=place)
    # The template facility is suspended, and its one visit deleted: it claims nothing.
    Facility.unscoped.filter(pk=place.pk).update(suspended=True)

    wards = "(SELECT id AS mid, row_number() OVER (ORDER BY id) - 1 AS mno FROM municipalities_municipality WHERE code BETWEEN '10001' AND '89999')"  # noqa: E501
    live = "facilities_facility fa"
    _bulk.clone(
        Municipality,
        ward.pk,
        "generate_series(1, %s) AS i",
        {"code": "lpad((10000 + i)::text, 5, '0')", "name": "'市区' || i"},
        [municipalities],
    )
    _bulk.clone(
        Facility,
        place.pk,
        f"generate_series(0, %s) AS i JOIN {wards} m ON m.mno = i %% %s",
        {
            "municipality_id": "m.mid",
            "name": "'ほいくえん' || lpad(i::text, 6, '0')",
            "facility_number": "'13' || lpad(i::text, 8, '0')",
            "suspended": "false",
        },
        [facilities - 1, municipalities],
    )
    _bulk.clone(
        User,
        manager.pk,
        live,
        {"email": "'manager' || fa.id || '@example.jp'", "facility_id": "fa.id"},
        where="NOT fa.suspended",
    )
    _bulk.clone(
        PlaceSlot,
        slot.pk,
        f"{live}, generate_series(1, %s) AS d",
        {"facility_id": "fa.id", "date": f"({day_list})[d]"},
        [len(days)],
        where="NOT fa.suspended",
    )
    _bulk.clone(
        Household,
        household.pk,
        f"{live}, generate_series(0, %s) AS k",
        {"municipality_id": "fa.municipality_id", "address_line": "'h' || fa.id || '-' || k"},
        [children - 1],
        where="NOT fa.suspended",
    )
    # Children: one per household, keyed by the household's address line (h<facility>-<k>).
    _bulk.sql(
        "CREATE TEMP TABLE bench_households AS SELECT id, address_line,"
        " split_part(split_part(address_line, '-', 1), 'h', 2)::bigint AS facility_id,"
        " split_part(address_line, '-', 2)::int AS k FROM families_household"
        " WHERE address_line LIKE 'h%%-%%'"
    )
    _bulk.clone(
        Child,
        kid.pk,
        "bench_households h",
        {
            "household_id": "h.id",
            "given_name": "h.address_line",
            "birth_date": "'2025-05-01'::date - (h.k %% 10) * 80",
        },
    )
    _bulk.sql(
        "CREATE TEMP TABLE bench_children AS SELECT c.id, h.facility_id, h.k"
        " FROM families_child c JOIN bench_households h ON c.household_id = h.id"
    )
    # Two visits a child, on different days (k and k+5 of the facility's ten).
    _bulk.clone(
        Booking,
        booking.pk,
        "bench_children c CROSS JOIN generate_series(0, 1) AS v"
        " JOIN facilities_placeslot s ON s.facility_id = c.facility_id"
        f" AND s.date = ({day_list})[1 + (c.k + 5 * v) %% {len(days)}]",
        {
            "child_id": "c.id",
            "facility_id": "c.facility_id",
            "place_slot_id": "s.id",
            "date": "s.date",
            "starts_at": "(s.date + time '10:00') AT TIME ZONE 'Asia/Tokyo'",
            "ends_at": "(s.date + time '12:00') AT TIME ZONE 'Asia/Tokyo'",
        },
    )
    # Every booking but the template's attended, checked in and out at its times.
    _bulk.clone(
        Attendance,
        attendance.pk,
        "booking_booking b",
        {"booking_id": "b.id", "checked_in_at": "b.starts_at", "checked_out_at": "b.ends_at"},
        where=f"b.id <> {int(booking.pk)}",
    )
    Attendance.unscoped.filter(pk=attendance.pk).delete()
    _bulk.analyze()
    (made_visits, made_facilities, made_wards) = _bulk.sql(
        "SELECT (SELECT count(*) FROM attendance_attendance),"
        " (SELECT count(*) FROM facilities_facility WHERE NOT suspended),"
        " (SELECT count(*) FROM municipalities_municipality WHERE code BETWEEN '10001' AND '89999')"
    )[0]
    return {"visits": made_visits, "facilities": made_facilities, "wards": made_wards}


def _per_facility(year: int, month: int, started: float) -> None:
    """The old path: ``generate_claims`` for every facility, as its manager."""
    from tsuen.accounts.models import Role, User
    from tsuen.billing import services
    from tsuen.core import context, tenancy
    from tsuen.core.middleware import scope_for

    managers = (
        User.objects.filter(role=Role.FACILITY_MANAGER, facility__suspended=False)
        .select_related("facility")
        .order_by("pk")
    )
    with tenancy.cross_tenant("bench: the managers"):
        total_managers = managers.count()
        for done, manager in enumerate(managers.iterator(chunk_size=500), start=1):
            with context.acting_as(context.actor_for(manager, "127.0.0.1")), scope_for(manager):
                services.generate_claims(manager, year, month)
            if done % 1000 == 0:
                print(
                    f"      {done:,}/{total_managers:,} facilities, "
                    f"{time.perf_counter() - started:.0f}s, maxrss {_bulk.maxrss_mb():.0f} MB",
                    flush=True,
                )


def _month_run(year: int, month: int, started: float) -> None:
    """The month run (``services_month.generate_month_claims``) as a national operator, as
    ``manage.py generate_month_claims --as`` runs it."""
    from tsuen.accounts.models import Role, User
    from tsuen.billing import services_month
    from tsuen.core import context
    from tsuen.core.middleware import scope_for

    operator = User.objects.create(
        email="bench-operator@example.jp",
        role=Role.NATIONAL_OPERATOR,
        password="!",  # noqa: S106  (unusable)
    )

    def progress(run):
        if run.facilities % 10_000 < services_month.DEFAULT_BATCH_SIZE:
            print(
                f"      {run.facilities:,} facilities, {time.perf_counter() - started:.0f}s, "
                f"maxrss {_bulk.maxrss_mb():.0f} MB",
                flush=True,
            )

    with context.acting_as(context.actor_for(operator, "127.0.0.1")), scope_for(operator):
        run = services_month.generate_month_claims(operator, year, month, progress=progress)
    if run.refused:
        raise SystemExit(f"refused: {run.refused[:3]}")


def claim_month(year: int, month: int, use_tracemalloc: bool, path: str = "month") -> dict:
    """The month's claims (the month run, or every facility's as its manager), then one
    ward's finance export."""
    from django.db import connection
    from django.utils import timezone

    from tsuen.accounts.models import Role, User
    from tsuen.billing import services_review
    from tsuen.billing.models import Claim, ClaimLine, ClaimStatus
    from tsuen.core import context, tenancy
    from tsuen.core.middleware import scope_for

    statements = [0]

    def count(execute, sql, params, many, context_):
        statements[0] += 1
        return execute(sql, params, many, context_)

    rss_before = _bulk.maxrss_mb()
    if use_tracemalloc:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        if path == "month":
            _month_run(year, month, started)
        else:
            _per_facility(year, month, started)
    claims_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if use_tracemalloc else None
    if use_tracemalloc:
        tracemalloc.stop()
    rss_after = _bulk.maxrss_mb()

    with tenancy.cross_tenant("bench: counting"):
        claims = Claim.unscoped.count()
        lines = ClaimLine.unscoped.count()
        ward_id = (
            Claim.unscoped.order_by("paying_municipality_id")
            .values_list("paying_municipality_id", flat=True)
            .first()
        )
        # Approving is the ward's one-by-one review: here all at once, in SQL.
        Claim.unscoped.filter(paying_municipality_id=ward_id).update(
            status=ClaimStatus.APPROVED,
            submitted_at=timezone.now(),
            approved_at=timezone.now(),
        )
        ward_claims = Claim.unscoped.filter(paying_municipality_id=ward_id).count()
        officer = User.objects.create(
            email="bench-payments@example.jp",
            role=Role.MUNICIPAL_PAYMENTS,
            municipality_id=ward_id,
            password="!",  # noqa: S106  (unusable)
        )
    export = {}
    with context.acting_as(context.actor_for(officer, "127.0.0.1")), scope_for(officer):
        for kind in ("csv", "xlsx"):
            t = time.perf_counter()
            sealed = services_review.export_month(
                officer, year, month, kind, request_id=f"bench-{kind}"
            )
            export[kind] = ((time.perf_counter() - t) * 1000, sealed.sha256)
    return {
        "claims_s": claims_s,
        "cpu_s": cpu_s,
        "statements": statements[0],
        "path": path,
        "claims": claims,
        "lines": lines,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "tracemalloc_peak_mb": peak,
        "ward_claims": ward_claims,
        "export_ms": {k: v[0] for k, v in export.items()},
    }


def one_size(args) -> dict:
    _bulk.setup_django()
    from tsuen.core import clock, tenancy

    year, month = last_month(clock.today())
    with _bulk.throwaway_database():
        with tenancy.cross_tenant("bench: building the month"), _bulk.Timer() as built_in:
            made = build(args.visits, args.per_facility, args.per_municipality, year, month)
        print(
            f"    {made['visits']:,} visits at {made['facilities']:,} facilities in "
            f"{made['wards']:,} municipalities ({year}-{month:02d}); built in "
            f"{built_in.seconds:.1f}s",
            flush=True,
        )
        result = claim_month(year, month, args.tracemalloc, args.path)
    return made | result | {"built_s": built_in.seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=5000, help="visits at 1x (5,000)")
    parser.add_argument("--scale", default="1,10", help="multiples of --visits (1,10)")
    parser.add_argument("--national", action="store_true", help="100,000 and 1,000,000 visits")
    parser.add_argument("--per-facility", type=int, default=20, help="visits a facility (20)")
    parser.add_argument("--per-municipality", type=int, default=30)
    parser.add_argument("--tracemalloc", action="store_true", help="also tracemalloc's peak")
    parser.add_argument(
        "--path",
        choices=("month", "facility"),
        default="month",
        help="month: the month run as the national operator (default); facility: every "
        "facility's generate_claims as its manager (the old path, for comparison)",
    )
    parser.add_argument("--one-size", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_size:
        print("RESULT " + json.dumps(one_size(args)), flush=True)
        return
    if args.national:
        args.visits = 100_000
    print(
        f"claims of a month: PostgreSQL, one process, target < {TARGET_S_PER_100K} s per "
        f"100,000 visits and memory flat as visits grow {_bulk.CAVEAT}",
        flush=True,
    )
    results = []
    for scale in [int(s) for s in args.scale.split(",")]:
        visits = args.visits * scale
        print(f"{scale:>3}x: {visits:,} visits", flush=True)
        command = [
            sys.executable,
            "-m",
            "bench.claims_month",
            "--one-size",
            f"--visits={visits}",
            f"--per-facility={args.per_facility}",
            f"--per-municipality={args.per_municipality}",
            f"--path={args.path}",
        ] + (["--tracemalloc"] if args.tracemalloc else [])
        process = subprocess.run(  # noqa: S603  (our own executable and arguments)
            command, cwd=_bulk.ROOT, capture_output=True, text=True, check=False
        )
        lines = process.stdout.splitlines()
        for line in lines:
            if not line.startswith("RESULT "):
                print(line)
        found = [json.loads(line[7:]) for line in lines if line.startswith("RESULT ")]
        if process.returncode or not found:
            print(process.stderr[-4000:])
            raise SystemExit(f"the {scale}x run failed")
        results.append((scale, found[0]))
    print()
    print(f"path: {args.path}")
    print(
        f"{'size':>4} {'visits':>10} {'facilities':>10} {'claims':>7} {'claims s':>9} "
        f"{'s/100k':>7} {'cpu s':>6} {'sql/fac':>7} {'rss before':>10} {'rss peak':>9} "
        f"{'tracemalloc':>11}  "
        f"{'ward export (claims, csv ms, xlsx ms)'}"
    )
    for scale, r in results:
        per = r["claims_s"] / r["visits"] * 100_000 if r["visits"] else 0
        peak = f"{r['tracemalloc_peak_mb']:.1f} MB" if r["tracemalloc_peak_mb"] else "-"
        mark = "" if per < TARGET_S_PER_100K else "  > target"
        print(
            f"{scale:>3}x {r['visits']:>10,} {r['facilities']:>10,} {r['claims']:>7,} "
            f"{r['claims_s']:9.1f} {per:7.1f} {r['cpu_s']:6.1f} "
            f"{r['statements'] / r['facilities']:7.2f} "
            f"{r['rss_before_mb']:8.0f}MB {r['rss_after_mb']:7.0f}MB "
            f"{peak:>11}  {r['ward_claims']} claims, {r['export_ms']['csv']:.0f}, "
            f"{r['export_ms']['xlsx']:.0f}{mark}"
        )
    print(
        "(cpu s: this process's CPU time during the claims (the database's is not in it); "
        "sql/fac: SQL statements of the claims (the month run or every generate_claims) a "
        "facility; rss: the process's peak resident memory before and after them)"
    )


if __name__ == "__main__":
    main()
