"""The 09:00 rush: a ward's families confirm bookings at once; tsuen against a minimal view.

    TSUEN_DB=postgresql .venv/bin/python -m bench.booking_rush
    TSUEN_DB=postgresql .venv/bin/python -m bench.booking_rush --children 300 --days 3 \\
        --clients 8,32 --workers 2 --rounds 3

Builds a throw-away PostgreSQL database (Django's test-database machinery, dropped at the end) with
one ward: ``--children`` certified children, one household and one signed-in guardian each, an
accepted first interview (初回面談) at their facility (one facility for every
``--per-facility`` children), and place slots on the next ``--days`` open days whose
``--capacity`` places run out. Serves tsuen with gunicorn (deploy/gunicorn.conf.py, sync workers,
persistent database connections) and the reference view of bench/reference/ with the same
configuration, and drives each with Debian's ``wrk`` (bench/rush.lua): every request is the real
booking confirm form, with its own guardian's session cookie and CSRF token, each (child, day)
once, so that refusals are for full slots and the monthly cap, not for duplicates.

Runs interleaved: tsuen at 8 clients, the reference at 8, tsuen at 32, the reference at 32 (the
bookings are deleted before each run), ``--rounds`` times (3: one run lasts a few seconds, and
this machine's speed moves by a tenth from one to the next). For each run it prints requests/s,
p50/p95/p99 latency, successes, refusals and errors; per client count the ratio tsuen/reference
of each round (the two runs of a round are neighbours in time) and their median; the result of SQL
checks that no slot is overbooked, no child's monthly cap is broken and no child has overlapping
bookings; and why each (child, day) without a booking went without (full or cap; anything
"unexplained" is a wrong refusal or a lost request). Then the same requests to a view that does
nothing (the ceiling of wrk, gunicorn and Django's request handling on this machine: the load
generator is not the limit), and a control run: the reference without its row locks, 8 workers,
the requests for one slot together, whose checks must find violations (so they can fail).
Finally the number of SQL statements one successful tsuen booking runs (in-process,
``CaptureQueriesContext``, outside any test transaction so the on-commit work runs too).

Figures for people: asserts nothing but the harness's own sanity (a violation is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
LUA = ROOT / "bench" / "rush.lua"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
TABLES = ("booking_booking", "facilities_placeslot")  # the checks' and the reference view's
VISIT = (dt.time(10, 0), dt.time(14, 0))  # 4 hours: the third visit of a month breaks 10 h


def _setup_django() -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    # The rush uploads nothing: an address nobody answers on satisfies start-up (docs/files.md).
    os.environ.setdefault("TSUEN_CLAMD_SOCKET", "/nonexistent/tsuen-bench-no-uploads.sock")
    # Rate-limit counters of this run only (Redis is shared with whatever else runs here).
    os.environ.setdefault("TSUEN_CACHE_PREFIX", f"bench-rush-{os.getpid()}")
    # The guardians' sessions live in Redis too (settings.py): a Redis database of the rush's
    # own, so that a FLUSHDB by anything else on the machine cannot sign them out mid-run.
    os.environ.setdefault("TSUEN_REDIS_URL", "redis://127.0.0.1:6379/1")
    import django

    django.setup()


# --- The ward -------------------------------------------------------------------------------


@dataclass
class Rush:
    days: list[dt.date]  # the measured days; days[-1] is kept for warm-up and the query count
    children: list  # Child
    users: list  # User, one per child
    slot_of: dict  # (facility_id, date) -> PlaceSlot id
    facility_of: dict  # child id -> facility id
    cookies: dict  # child id -> Cookie header
    tokens: dict  # child id -> CSRF form token
    month_cap: int  # minutes


def _open_days(facility_id: int, count: int) -> list[dt.date]:
    from tsuen.core import clock
    from tsuen.facilities import calendar

    days, day = [], clock.today()
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and not calendar.closed_reason(facility_id, day):
            days.append(day)
    return days


def build(children: int, per_facility: int, capacity: int, days: int) -> Rush:
    from django.contrib.auth import SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client
    from tests import factories as f
    from tests import wardsize

    from tsuen import rules
    from tsuen.accounts.models import Role, User
    from tsuen.certification.models import Certification, CertificationStatus
    from tsuen.core import clock, tenancy
    from tsuen.facilities.models import (
        Facility,
        FacilityType,
        Interview,
        InterviewStatus,
        PlaceSlot,
    )
    from tsuen.families.models import Child, Sex
    from tsuen.municipalities.models import MunicipalPolicy

    today = clock.today()
    with tenancy.cross_tenant("bench: building a ward's rush"):
        ward = f.municipality(name="混雑区")
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
        facilities = Facility.objects.bulk_create(
            Facility(
                municipality=ward,
                name=f"混雑保育園{i:02d}",
                facility_type=FacilityType.GENERAL,
                postal_code="160-0022",
                address="東京都新宿区新宿2-2-2",
            )
            for i in range(max(1, children // per_facility))
        )
        all_days = _open_days(facilities[0].pk, days + 1)
        for fy in sorted({rules.fiscal_year_of(d) for d in all_days}):
            policy = rules.national_default_policy(fy)
            MunicipalPolicy.from_rules(ward, policy, rules.fiscal_year_bounds(fy)[0]).save()
        policy = rules.national_default_policy(rules.fiscal_year_of(all_days[0]))
        [month_cap] = [c.limit_minutes for c in policy.caps if str(c.period) == "month"]
        birth = all_days[0] - dt.timedelta(days=600)  # about 20 months: age class 1 or 2
        classes = {rules.age_class(birth, rules.fiscal_year_of(d)) for d in all_days}
        users = User.objects.bulk_create(
            User(email=f"rush-{i}@example.jp", role=Role.GUARDIAN, password="!")  # noqa: S106  (unusable)
            for i in range(children)
        )
        households = wardsize.families(ward, users, "混雑", "コンザツ", "rush")
        kids = Child.objects.bulk_create(
            Child(
                household=h,
                family_name="混雑",
                given_name=f"子{i}",
                family_name_kana="コンザツ",
                given_name_kana="コ",
                birth_date=birth,
                sex=Sex.MALE if i % 2 else Sex.FEMALE,
            )
            for i, h in enumerate(households)
        )
        now = clock.now()
        Certification.objects.bulk_create(
            Certification(
                municipality=ward,
                child=kid,
                number=f"RUSH-{i:05d}",
                valid_from=today - dt.timedelta(days=100),
                valid_to=today + dt.timedelta(days=300),
                status=CertificationStatus.ACTIVE,
                certified_at=now,
                certified_by=staff,
            )
            for i, kid in enumerate(kids)
        )
        facility_of = {kid.pk: facilities[i % len(facilities)].pk for i, kid in enumerate(kids)}
        Interview.objects.bulk_create(
            Interview(
                child=kid,
                facility_id=facility_of[kid.pk],
                requested_by=users[i],
                status=InterviewStatus.ACCEPTED,
                held_minutes=30,
                decided_at=now,
            )
            for i, kid in enumerate(kids)
        )
        slots = PlaceSlot.objects.bulk_create(
            PlaceSlot(
                facility=fac,
                date=d,
                starts_at=dt.time(9, 0),
                ends_at=dt.time(17, 0),
                age_class=age_class,
                capacity=capacity,
            )
            for fac in facilities
            for d in all_days
            for age_class in sorted(classes)
        )
        slot_of = {}
        for slot in slots:
            if slot.age_class == rules.age_class(birth, rules.fiscal_year_of(slot.date)):
                slot_of[(slot.facility_id, slot.date)] = slot.pk

        # Sessions made up front, as a sign-in makes them (guardians need no second factor);
        # a CSRF secret per client, its cookie and a masked form token like the page's.
        cookies, tokens = {}, {}
        for kid, account in zip(kids, users, strict=True):
            client = Client()
            client.force_login(account)
            assert client.session[SESSION_KEY] == str(account.pk)
            secret = _get_new_csrf_string()
            cookies[kid.pk] = f"sessionid={client.cookies['sessionid'].value}; csrftoken={secret}"
            tokens[kid.pk] = _mask_cipher_secret(secret)
    return Rush(
        days=all_days,
        children=kids,
        users=users,
        slot_of=slot_of,
        facility_of=facility_of,
        cookies=cookies,
        tokens=tokens,
        month_cap=month_cap,
    )


def plan_lines(rush: Rush, path: str, days: list[dt.date], kids: list | None = None) -> list[str]:
    """One planned confirm POST a line (path, Cookie, body): every child once a day, day by day."""
    lines = []
    start, end = (t.strftime("%H:%M") for t in VISIT)
    for day in days:
        for kid in kids if kids is not None else rush.children:
            slot = rush.slot_of[(rush.facility_of[kid.pk], day)]
            body = urlencode(
                {
                    "csrfmiddlewaretoken": rush.tokens[kid.pk],
                    "slot": slot,
                    "children": kid.pk,
                    "start": start,
                    "end": end,
                    "step": "confirm",
                }
            )
            lines.append(f"{path}?slot={slot}\t{rush.cookies[kid.pk]}\t{body}")
    return lines


# --- Checks -----------------------------------------------------------------------------------


def violations(month_cap: int) -> dict[str, int]:
    """SQL over every booking: overbooked slots, broken monthly caps, overlapping bookings."""
    from django.db import connection

    from tsuen.booking.models import Booking
    from tsuen.facilities.models import PlaceSlot

    # The tables by name, as the reference view writes them.
    assert (Booking._meta.db_table, PlaceSlot._meta.db_table) == TABLES
    queries = {
        "overbooked slots": """
            SELECT count(*) FROM (
              SELECT s.id FROM facilities_placeslot s JOIN booking_booking b
                ON b.place_slot_id = s.id AND b.status = 'confirmed'
              GROUP BY s.id, s.capacity HAVING count(*) > s.capacity) x""",
        "caps broken": """
            SELECT count(*) FROM (
              SELECT child_id FROM booking_booking
              WHERE status IN ('confirmed', 'late_cancelled') AND counts_toward_caps
              GROUP BY child_id, date_trunc('month', date)
              HAVING sum(billable_minutes) > %s) x""",
        "overlaps": """
            SELECT count(*) FROM booking_booking a JOIN booking_booking b
              ON a.child_id = b.child_id AND a.id < b.id
             AND a.status = 'confirmed' AND b.status = 'confirmed'
             AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at""",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [month_cap] if "%s" in sql else [])
            found[name] = cursor.fetchone()[0]
    return found


def refusal_reasons(rush: Rush, days: list[dt.date]) -> dict[str, int]:
    """Why each planned (child, day) without a booking went without: its slot is full, or one
    more visit would break the child's monthly cap, as the database stands after the run (places
    and hours only fill up during a run, so a refusal's reason still holds at its end). Anything
    else is "unexplained" and must be 0 (a refusal no rule explains, or a lost request)."""
    from collections import Counter

    from django.db.models import Count, Sum

    from tsuen.booking.models import Booking, BookingStatus
    from tsuen.booking.services import COUNTING_STATUSES
    from tsuen.facilities.models import PlaceSlot

    confirmed = Booking.unscoped.filter(status=BookingStatus.CONFIRMED)
    booked = set(confirmed.values_list("child_id", "date"))
    taken = dict(
        confirmed.values("place_slot_id").annotate(n=Count("id")).values_list("place_slot_id", "n")
    )
    capacity = dict(
        PlaceSlot.unscoped.filter(pk__in=rush.slot_of.values()).values_list("pk", "capacity")
    )
    used: Counter = Counter()
    counting = Booking.unscoped.filter(status__in=COUNTING_STATUSES, counts_toward_caps=True)
    for child_id, day, minutes in counting.values_list("child_id", "date").annotate(
        minutes=Sum("billable_minutes")
    ):
        used[(child_id, day.year, day.month)] += minutes
    visit = (VISIT[1].hour - VISIT[0].hour) * 60 + VISIT[1].minute - VISIT[0].minute
    reasons = Counter({"full": 0, "cap": 0, "unexplained": 0})
    for day in days:
        for kid in rush.children:
            if (kid.pk, day) in booked:
                continue
            slot = rush.slot_of[(rush.facility_of[kid.pk], day)]
            if taken.get(slot, 0) >= capacity[slot]:
                reasons["full"] += 1
            elif used[(kid.pk, day.year, day.month)] + visit > rush.month_cap:
                reasons["cap"] += 1
            else:
                reasons["unexplained"] += 1
    return dict(reasons)


def reset_bookings() -> None:
    from tsuen.booking.models import Booking

    Booking.unscoped.all().delete()


def booked_count() -> int:
    from tsuen.booking.models import Booking

    return Booking.unscoped.count()


# --- Servers and load ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    path: str
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(
    name: str,
    wsgi_app: str,
    settings_module: str,
    path: str,
    env: dict,
    workers: int,
    log_dir: Path,
) -> Server:
    port = _free_port()
    server_env = env | {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "TSUEN_WSGI_APP": wsgi_app,
        "TSUEN_BIND": f"127.0.0.1:{port}",
        "TSUEN_WEB_WORKERS": str(workers),
        "TSUEN_ACCESS_LOG": str(log_dir / f"{name}-access.log"),
        "TSUEN_GUNICORN_LOG_LEVEL": "warning",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    log = open(log_dir / f"{name}-server.log", "w")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(  # noqa: S603  (our own executable and arguments)
        [str(Path(sys.executable).parent / "gunicorn"), "--config", str(GUNICORN_CONF)],
        env=server_env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} server stopped: see {log_dir / f'{name}-server.log'}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/__bench_ready__", timeout=5)
        except urllib.error.HTTPError:
            return Server(name, port, path, process)  # it answers (404 is an answer)
        except OSError:
            time.sleep(0.2)
        else:
            return Server(name, port, path, process)
    raise RuntimeError(f"{name} server did not answer within 60 s")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


RESULT = re.compile(r"^RESULT (.*)$", re.MULTILINE)


@dataclass
class Run:
    """One run. wrk sees every answer but the last few (fewer than ``clients``: it stops when the
    last planned request is sent, see rush.lua); those are counted from the database."""

    server: str
    clients: int
    planned: int
    ok: int  # 302 seen by wrk
    refused: int  # 400 seen by wrk
    limited: int  # 429 seen by wrk
    other: int  # any other status seen by wrk
    socket_errors: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float
    booked: int  # bookings in the database after the run
    violations: dict
    reasons: dict  # refusal_reasons()
    round: int = 1  # which round of --rounds

    @property
    def answered(self) -> int:
        return self.ok + self.refused + self.limited + self.other

    @property
    def outstanding(self) -> int:
        """Sent, answered after wrk stopped: booked (in the database) or refused."""
        return self.planned - self.answered

    @property
    def rps(self) -> float:
        return self.answered / self.seconds

    @property
    def successes(self) -> int:
        return self.booked

    @property
    def errors(self) -> int:
        return self.limited + self.other + self.socket_errors

    @property
    def refusals(self) -> int:
        return self.planned - self.booked - self.limited - self.other


def drive(server: Server, lines: list[str], clients: int, work_dir: Path, max_seconds: int) -> dict:
    """Send the planned requests over ``clients`` connections; wrk's figures plus ``seconds``
    (from the plan loaded to the last answer in)."""
    plan = work_dir / f"plan-{server.name}-{clients}.tsv"
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [
        shutil.which("wrk") or "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{max_seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        server.url,
        "--",
        str(plan),
        str(clients),
    ]
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    started = finished = None
    output = []
    assert wrk.stdout is not None
    try:
        for line in wrk.stdout:
            output.append(line)
            if line.startswith("STARTED"):
                started = time.perf_counter()
            elif line.startswith("DONE"):
                finished = time.perf_counter()
                wrk.send_signal(signal.SIGINT)  # wrk then reports at once (else it waits MAX)
        wrk.wait()
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    text = "".join(output)
    found = RESULT.search(text)
    if wrk.returncode != 0 or not found or started is None:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{text}\n{wrk.stderr.read()}")
    result = {k: int(v) for k, v in (kv.split("=") for kv in found.group(1).split())}
    if finished is None:  # the plan was not sent within MAX: wrk's own clock
        print(f"  ! {server.name}: the plan was not sent within {max_seconds}s", flush=True)
        finished = started + result["duration_us"] / 1e6
    result["seconds"] = finished - started
    return result


def wait_until_quiet(seconds: float = 1.0, limit: float = 60.0) -> None:
    """Until no other connection to the database has been busy for ``seconds``: the servers
    have answered the requests wrk no longer waited for."""
    from django.db import connection

    quiet_since, deadline = time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            busy = cursor.fetchone()[0]
        if busy:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= seconds:
            return
        time.sleep(0.1)


def measure(
    server: Server, rush: Rush, days: list[dt.date], clients: int, work_dir: Path, max_seconds: int
) -> Run:
    lines = plan_lines(rush, server.path, days)
    month_cap = rush.month_cap
    reset_bookings()
    r = drive(server, lines, clients, work_dir, max_seconds)
    wait_until_quiet()
    return Run(
        server=server.name,
        clients=clients,
        planned=len(lines),
        ok=r["ok"],
        refused=r["refused"],
        limited=r["limited"],
        other=r["other"],
        socket_errors=r["connect"] + r["read"] + r["write"] + r["timeout"],
        seconds=r["seconds"],
        p50=r["p50_us"] / 1000,
        p95=r["p95_us"] / 1000,
        p99=r["p99_us"] / 1000,
        max=r["max_us"] / 1000,
        booked=booked_count(),
        violations=violations(month_cap),
        reasons=refusal_reasons(rush, days),
    )


# --- The statements of one booking ---------------------------------------------------------------


def statements_of_one_booking(rush: Rush) -> tuple[int, list[str]]:
    """Book two children in-process on the spare day (the first warms up) and count the second's
    SQL statements, from the request's first to its last (session, rate limit in Redis aside)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    day = rush.days[-1]
    counts = []
    for kid, account in list(zip(rush.children, rush.users, strict=True))[-2:]:
        client = Client()
        client.force_login(account)
        slot = rush.slot_of[(rush.facility_of[kid.pk], day)]
        start, end = (t.strftime("%H:%M") for t in VISIT)
        form = {"slot": slot, "children": kid.pk, "start": start, "end": end, "step": "confirm"}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("booking:book"), form)
        if response.status_code != 302:
            raise RuntimeError(f"the in-process booking answered {response.status_code}")
        counts.append(queries)
    captured = counts[-1].captured_queries
    return len(captured), [q["sql"] for q in captured]


# --- Report -----------------------------------------------------------------------------------


def report(runs: list[Run]) -> str:
    """A row a run; then, per client count, the ratio tsuen/reference of each round (the two
    servers' runs of one round are neighbours in time) and their median."""
    head = (
        f"{'round':>5} {'server':10} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'booked':>6} {'refused':>7} {'errors':>6} {'violations':>10}"
    )
    rows = [head]
    for r in runs:
        rows.append(
            f"{r.round:5d} {r.server:10} {r.clients:7d} {r.rps:7.1f} {r.p50:7.1f} {r.p95:7.1f} "
            f"{r.p99:7.1f} {r.successes:6d} {r.refusals:7d} {r.errors:6d} "
            f"{sum(r.violations.values()):10d}"
        )
    rows.append("")
    by = {(r.server, r.clients, r.round): r for r in runs}
    for clients in sorted({r.clients for r in runs}):
        pairs = [
            (by[("tsuen", clients, k)], by[("reference", clients, k)])
            for k in sorted({r.round for r in runs})
            if ("tsuen", clients, k) in by and ("reference", clients, k) in by
        ]
        if not pairs:
            continue
        ratios = [t.rps / ref.rps for t, ref in pairs]
        p99 = max(t.p99 for t, _ref in pairs)
        if len(pairs) == 1:
            [(t, ref)] = pairs
            rows.append(
                f"ratio tsuen/reference at {clients:2d} clients: {ratios[0]:.2f} "
                f"(req/s {t.rps:.1f} / {ref.rps:.1f}; p99 {t.p99:.0f} ms vs {ref.p99:.0f} ms)"
            )
        else:
            rows.append(
                f"ratio tsuen/reference at {clients:2d} clients: {statistics.median(ratios):.2f}, "
                f"the median of {len(pairs)} rounds "
                f"({', '.join(f'{x:.2f}' for x in ratios)}); tsuen's highest p99 {p99:.0f} ms"
            )
    return "\n".join(rows)


CONTROL_WORKERS = 8


def control_run(rush: Rush, days: list[dt.date], env: dict, work_dir: Path, args) -> tuple:
    """The reference without ``FOR UPDATE``, more workers, and the plan sorted so that the
    requests for one slot come together: the checks must then find overbooked slots (they
    can fail). Returns (server, run)."""
    server = start_server(
        "control",
        "bench.reference.wsgi:application",
        "bench.reference.settings",
        "/book/",
        env | {"BENCH_REFERENCE_LOCKS": "0"},
        CONTROL_WORKERS,
        work_dir,
    )
    top = max(int(c) for c in args.clients.split(",") if c.strip())
    lines = sorted(plan_lines(rush, server.path, days), key=lambda line: line.split("\t")[0])
    reset_bookings()
    r = drive(server, lines, top, work_dir, args.max_seconds)
    wait_until_quiet()
    run = Run(
        server="control",
        clients=top,
        planned=len(lines),
        ok=r["ok"],
        refused=r["refused"],
        limited=r["limited"],
        other=r["other"],
        socket_errors=0,
        seconds=r["seconds"],
        p50=0,
        p95=0,
        p99=0,
        max=0,
        booked=booked_count(),
        violations=violations(rush.month_cap),
        reasons={},
    )
    reset_bookings()
    return server, run


def ward_arguments(parser: argparse.ArgumentParser) -> None:
    """The rush's ward (:func:`build`), as options (also ``bench.rush_instructions``')."""
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--per-facility", type=int, default=30, help="children per facility")
    parser.add_argument("--capacity", type=int, default=20, help="places per slot")
    parser.add_argument("--days", type=int, default=3, help="days each child books")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ward_arguments(parser)
    parser.add_argument("--clients", default="8,32", help="wrk connections, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of each server at each client count, interleaved; the ratio is their median",
    )
    parser.add_argument("--max-seconds", type=int, default=600, help="wrk's limit per run")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument("--show-sql", action="store_true", help="print the booking's statements")
    parser.add_argument(
        "--no-control", action="store_true", help="skip the control run (reference unlocked)"
    )
    args = parser.parse_args(argv)
    if os.environ.get("TSUEN_DB") != "postgresql":
        sys.exit("The rush needs PostgreSQL (row locks): TSUEN_DB=postgresql")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian package wrk; bin/setup installs it)")
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    # A stopped benchmark still stops its servers and drops its database (finally, below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped (SIGTERM)"))
    # The rush serves no static files (whitenoise warns when none were collected).
    warnings.filterwarnings("ignore", message="No directory at")
    _setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connections
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )
    from django.urls import reverse

    try:  # tsuen's rate limits count in Redis; without it every booking would answer 503
        cache.set("bench-rush-ping", 1, 5)
    except Exception as error:
        sys.exit(f"Redis does not answer ({settings.CACHES['default']['LOCATION']}): {error}")
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False, keepdb=False)
    work_dir = Path(tempfile.mkdtemp(prefix="tsuen-rush-"))
    servers: list[Server] = []
    try:
        started = time.perf_counter()
        rush = build(args.children, args.per_facility, args.capacity, args.days)
        measured_days = rush.days[:-1]
        print(
            f"ward: {len(rush.children)} children signed in, "
            f"{len(set(rush.facility_of.values()))} facilities, {args.capacity} places a slot, "
            f"{len(measured_days)} days ({measured_days[0]} to {measured_days[-1]}), monthly cap "
            f"{rush.month_cap // 60} h, visits {VISIT[0]:%H:%M}-{VISIT[1]:%H:%M}; "
            f"built in {time.perf_counter() - started:.1f}s"
        )
        count, statements = statements_of_one_booking(rush)
        reset_bookings()

        db = settings.DATABASES["default"]
        env = dict(os.environ) | {
            "TSUEN_DB": "postgresql",
            "TSUEN_PG_NAME": db["NAME"],
            "BENCH_MONTH_CAP_MINUTES": str(rush.month_cap),
        }
        connections.close_all()
        tsuen = start_server(
            "tsuen",
            "tsuen.wsgi:application",
            "tests.settings",
            reverse("booking:book"),
            env,
            args.workers,
            work_dir,
        )
        servers.append(tsuen)
        reference = start_server(
            "reference",
            "bench.reference.wsgi:application",
            "bench.reference.settings",
            "/book/",
            env,
            args.workers,
            work_dir,
        )
        servers.append(reference)
        print(f"servers: gunicorn, {args.workers} sync workers each; load: wrk (bench/rush.lua)")

        # Warm-up on the spare day: every worker loads its code, templates and connection. The
        # children of one facility, more than its places (by default): the workers answer
        # refusals too, so the refused page's templates are not compiled during the runs.
        first = rush.facility_of[rush.children[0].pk]
        warm_kids = [kid for kid in rush.children if rush.facility_of[kid.pk] == first]
        for server in servers:
            reset_bookings()
            drive(
                server,
                plan_lines(rush, server.path, rush.days[-1:], warm_kids),
                2,
                work_dir,
                args.max_seconds,
            )
            wait_until_quiet()

        runs = []
        for round_ in range(1, args.rounds + 1):
            for n in clients:
                for server in servers:
                    run = measure(server, rush, measured_days, n, work_dir, args.max_seconds)
                    run.round = round_
                    runs.append(run)
                    print(
                        f"  {round_}. {server.name:9} {n:2d} clients: {run.planned} requests, "
                        f"{run.answered} "
                        f"answers timed in {run.seconds:.1f}s ({run.outstanding} after), "
                        f"{run.booked} booked; without a place: {run.reasons}; "
                        f"violations {run.violations}",
                        flush=True,
                    )
        # The same requests to a view that does nothing: far above both, wrk is not the limit.
        top = max(clients)
        ceiling = drive(
            reference, plan_lines(rush, "/ping/", measured_days), top, work_dir, args.max_seconds
        )
        ceiling_rps = (ceiling["ok"] + ceiling["other"]) / ceiling["seconds"]
        control = None if args.no_control else control_run(rush, measured_days, env, work_dir, args)
        if control is not None:
            servers.append(control[0])
        print()
        print(report(runs))
        print(
            f"ceiling of the load path (the same requests, wrk -> gunicorn -> a Django view that "
            f"does nothing): {ceiling_rps:.0f} req/s at {top} clients"
        )
        if control is not None:
            print(
                f"control (the reference without its row locks, {CONTROL_WORKERS} workers, "
                f"{top} clients, requests for one slot together): violations "
                f"{control[1].violations}: "
                + (
                    "the checks see the race"
                    if sum(control[1].violations.values())
                    else "NONE: the checks did not see the race this time"
                )
            )
        print()
        print(f"SQL statements of one successful tsuen booking (in-process): {count}")
        if args.show_sql:
            print("\n".join(f"  {i:2d}. {sql[:160]}" for i, sql in enumerate(statements, 1)))
        if args.keep_logs:
            print(f"logs and plans kept in {work_dir}")
    finally:
        for server in servers:
            stop_server(server)
        connections.close_all()
        teardown_databases(databases, verbosity=0)
        teardown_test_environment()
        forget_redis_keys()
        if not args.keep_logs:
            shutil.rmtree(work_dir, ignore_errors=True)


def forget_redis_keys() -> None:
    """The run's sessions and counters, under its own key prefix, leave Redis with it."""
    import redis
    from django.conf import settings
    from django.core.cache import caches

    backend = caches["default"]
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


if __name__ == "__main__":
    main()
