"""The guardian's facility search over many facilities with four weeks of place slots.

    TSUEN_DB=postgresql .venv/bin/python -m bench.facility_search            # 200 and 2,000
    TSUEN_DB=postgresql .venv/bin/python -m bench.facility_search --national # 2,000 and 20,000
    .venv/bin/python -m bench.facility_search --facilities 500 --scale 1,10 --runs 30 --explain

For each size (``--facilities`` times each ``--scale``) it builds, in a throw-away PostgreSQL
database and in SQL (``generate_series``), that many facilities over municipalities of
``--per-municipality`` facilities, a place slot per age class the facility accepts on every day
but Sunday of the four weeks from today (9:00-17:00, 10 places; one slot in five has 2 places
and is full, one in five has 3 of its 10 taken), and the bookings that take them. Then it times
typical guardian queries through the real service (``facilities.services.search_facilities``)
and the real page (``/facilities/`` through Django's test client, signed in as a guardian):
p50/p95 in ms and the SQL statements of one call. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import time

from bench import _bulk

DAYS = 28
#: The cloned municipalities' codes (JIS: the prefecture's two digits, then three; the template
#: ward's is 9xxxx).
CLONES = "'01000' AND '47999'"
#: As in the country, one prefecture holds many more municipalities than the others (北海道:
#: 179 of 1,741): up to this many of the clones are in 01 北海道, the rest spread over 02-47.
BIG_PREFECTURE = 180
TARGET_P95_MS = 50


def build(facilities: int, per_municipality: int, today: dt.date) -> dict:
    """Municipalities, facilities, slots, children and bookings; returns ids to query with."""
    from tests import factories as f

    from tsuen.booking.models import Booking
    from tsuen.facilities.models import Facility, PlaceSlot
    from tsuen.families.models import Child, Household
    from tsuen.municipalities.models import Municipality
    from tsuen.national.prefectures import PREFECTURES

    municipalities = max(1, -(-facilities // per_municipality))
    start = today.isoformat()
    # The templates (ORM rows, every column as the model makes it); the clones copy them.
    ward = f.municipality()
    guardian_user = f.user()
    household = f.household(ward)
    f.guardian(household, guardian_user)
    f.child(household, birth_date=today - dt.timedelta(days=500))  # the guardian's own child
    # The other families' children (clones of ``kid``) live in another household.
    kid = f.child(f.household(ward), birth_date=today - dt.timedelta(days=500))
    place = f.facility(ward)
    slot = f.place_slot(place, today, age_class=1, capacity=10)
    booking = f.booking(kid, slot, guardian_user)
    # The template facility is suspended: the search does not list it, and it gets no clones.
    Facility.unscoped.filter(pk=place.pk).update(suspended=True)

    big = min(BIG_PREFECTURE, max(1, municipalities // 5))
    names = ", ".join(f"('{code}', '{name}')" for code, name in PREFECTURES)
    _bulk.clone(
        Municipality,
        ward.pk,
        # i-th clone: in 北海道 while i <= big, then round-robin over the other 46 prefectures.
        "generate_series(1, %s) AS i"
        " CROSS JOIN LATERAL (SELECT CASE WHEN i <= %s THEN 1 ELSE 2 + (i - %s - 1) %% 46 END"
        " AS p, CASE WHEN i <= %s THEN i ELSE 1 + (i - %s - 1) / 46 END AS n) c"
        f" JOIN (VALUES {names}) AS pref(code, name) ON pref.code = lpad(c.p::text, 2, '0')",
        {
            "code": "pref.code || lpad(c.n::text, 3, '0')",
            "name": "'市区' || i",
            "prefecture": "pref.name",
        },
        [municipalities, big, big, big, big],
    )
    _bulk.clone(
        Facility,
        place.pk,
        "generate_series(0, %s) AS i JOIN (SELECT id AS mid, row_number() OVER (ORDER BY id) - 1"  # noqa: S608
        f" AS mno, prefecture FROM municipalities_municipality WHERE code BETWEEN {CLONES}) m"
        " ON m.mno = i %% %s",
        {
            "municipality_id": "m.mid",
            "name": "'ほいくえん' || i",
            "name_kana": "'ホイクエン' || lpad(i::text, 6, '0')",
            "address": "m.prefecture || '市区' || (m.mno + 1) || '本町' || (i %% 7) || '丁目'",
            "accepts_class_0": "i %% 4 <> 0",
            "offers_regular": "i %% 3 = 0",
            "medical_care_support": "i %% 10 = 0",
            "allergy_support": "i %% 5 = 0",
            "suspended": "false",
            "facility_number": "'13' || lpad(i::text, 8, '0')",
        },
        [facilities - 1, municipalities],
    )
    _bulk.clone(
        PlaceSlot,
        slot.pk,
        "facilities_facility fa, generate_series(0, %s) AS d, generate_series(0, 2) AS a",
        {
            "facility_id": "fa.id",
            "date": f"'{start}'::date + d",
            "age_class": "a",
            "capacity": "CASE WHEN (fa.id + d + a) %% 5 = 0 THEN 2 ELSE 10 END",
        },
        [DAYS - 1],
        where=(
            f"NOT fa.suspended AND extract(isodow FROM '{start}'::date + d) <> 7"
            " AND (a > 0 OR fa.accepts_class_0)"
        ),
    )
    # Nine children a facility (one per age class and booking number: no child has two
    # bookings on one day) in a household of the facility's municipality (a household per
    # facility: with all of them in one, the planner expected half the country's children in
    # the guardian's household and scanned them all), then the bookings: 2 of 2 places (full)
    # or 3 of 10.
    _bulk.clone(
        Household,
        kid.household_id,
        "facilities_facility fa",
        {"municipality_id": "fa.municipality_id", "address_line": "'h' || fa.id"},
        where="NOT fa.suspended",
    )
    _bulk.clone(
        Child,
        kid.pk,
        "facilities_facility fa JOIN families_household h ON h.address_line = 'h' || fa.id,"
        " generate_series(0, 8) AS k",
        {"given_name": "'c' || fa.id || '-' || k", "household_id": "h.id"},
        where="NOT fa.suspended",
    )
    Child.unscoped.filter(pk=kid.pk).update(given_name="template")
    _bulk.clone(
        Booking,
        booking.pk,
        "facilities_placeslot s JOIN generate_series(0, 2) AS n"
        " ON n < CASE (s.facility_id + (s.date - %s::date) + s.age_class) %% 5"
        " WHEN 0 THEN 2 WHEN 1 THEN 3 ELSE 0 END"
        " JOIN families_child c"
        " ON c.given_name = 'c' || s.facility_id || '-' || (s.age_class * 3 + n)",
        {
            "child_id": "c.id",
            "facility_id": "s.facility_id",
            "place_slot_id": "s.id",
            "date": "s.date",
            "starts_at": "(s.date + time '10:00') AT TIME ZONE 'Asia/Tokyo'",
            "ends_at": "(s.date + time '12:00') AT TIME ZONE 'Asia/Tokyo'",
        },
        [start],
    )
    # The guardian lives in the first municipality of the largest prefecture (北海道): their
    # first visit lists its municipalities, the longest list the form shows.
    home = _bulk.sql(
        f"SELECT id FROM municipalities_municipality WHERE code BETWEEN {CLONES} ORDER BY code"  # noqa: S608
        " LIMIT 1"
    )[0][0]
    Household.unscoped.filter(pk=household.pk).update(municipality_id=home)
    _bulk.analyze()
    counts = _bulk.sql(
        f"SELECT (SELECT count(*) FROM municipalities_municipality WHERE code BETWEEN {CLONES}),"  # noqa: S608
        " (SELECT count(*) FROM facilities_facility WHERE NOT suspended),"
        " (SELECT count(*) FROM facilities_placeslot), (SELECT count(*) FROM booking_booking)"
    )[0]
    wards = _bulk.sql(
        f"SELECT id, code FROM municipalities_municipality WHERE code BETWEEN {CLONES}"  # noqa: S608
        " ORDER BY id"
    )
    return {
        "counts": counts,
        "wards": [pk for pk, _ in wards],
        "prefecture_of": {pk: code[:2] for pk, code in wards},
        "home": home,
        "guardian": guardian_user,
    }


def queries(built: dict, runs: int) -> dict[str, list[dict]]:
    """The guardian's typical searches, ``runs`` of each, over different wards and days. A ward
    is asked for as the form sends it: its prefecture's code and its id."""
    ward_ids, prefecture_of = built["wards"], built["prefecture_of"]
    spread = [ward_ids[(i * 7919) % len(ward_ids)] for i in range(runs)]
    return {
        "first visit: own ward (北海道), no filter": [
            # The page opened without a query: the form chooses the guardian's own ward.
            {"municipality": built["home"], "prefecture": "01", "_page": {}}
            for _ in range(runs)
        ],
        "ward, class 1, a weekday, free places": [
            {
                "prefecture": prefecture_of[w],
                "municipality": w,
                "age_class": 1,
                "weekday": 1 + i % 6,
                "free_places": True,
            }
            for i, w in enumerate(spread)
        ],
        "ward, class 0, morning, free places": [
            {
                "prefecture": prefecture_of[w],
                "municipality": w,
                "age_class": 0,
                "time_of_day": "morning",
                "free_places": True,
            }
            for w in spread
        ],
        "prefecture (北海道), class 1, a weekday, free": [
            {"prefecture": "01", "age_class": 1, "weekday": 1 + i % 6, "free_places": True}
            for i in range(runs)
        ],
        "nearby: area text, class 2, free": [
            {"area": f"市区{ward_ids.index(w) + 1}本町", "age_class": 2, "free_places": True}
            for w in spread
        ],
        "whole country, class 1, a weekday, free": [
            {"prefecture": "", "age_class": 1, "weekday": 1 + i % 6, "free_places": True}
            for i in range(runs)
        ],
    }


def _criteria(params: dict):
    from tsuen.facilities.services import SearchCriteria
    from tsuen.national.prefectures import PREFECTURES

    return SearchCriteria(
        municipality_id=params.get("municipality"),
        prefecture=dict(PREFECTURES).get(params.get("prefecture", ""), ""),
        area=params.get("area", ""),
        age_class=params.get("age_class"),
        weekday=params.get("weekday"),
        time_of_day=params.get("time_of_day", ""),
        free_places=params.get("free_places", False),
    )


def _query_string(params: dict) -> dict:
    params = params.get("_page", params)
    return {k: ("on" if v is True else v) for k, v in params.items()}


@contextlib.contextmanager
def rendered_as_in_production(instrumented: bool):
    """Django's test environment (which the throw-away database needs) makes every template
    render send a signal with a copy of its context, for the test client's
    ``response.templates``: a cost per template rendered, i.e. per ``<option>`` of a select
    (the widget's option template). Production renders without it; ``--instrumented`` keeps
    it (the figures before 2026-12-03 had it)."""
    from django.template.base import PartialTemplate, Template
    from django.test.utils import _TestState

    if instrumented:
        yield
        return
    saved = _TestState.saved_data
    test_render, test_partial = Template._render, PartialTemplate._render
    Template._render, PartialTemplate._render = (
        saved.template_render,
        saved.partial_template_render,
    )
    try:
        yield
    finally:
        Template._render, PartialTemplate._render = test_render, test_partial


def measure(built: dict, runs: int, explain: bool, instrumented: bool = False) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tsuen.core import tenancy
    from tsuen.core.middleware import scope_for
    from tsuen.facilities import services

    user = built["guardian"]
    client = Client()
    client.force_login(user)
    url = reverse("facilities:search")
    rows = []
    for name, variants in queries(built, runs).items():
        # Warm up once (templates, translations, the plan cache), then time every variant.
        with scope_for(user):
            services.search_facilities(user, _criteria(variants[0]))
        client.get(url, _query_string(variants[0]))
        service_ms, page_ms, found = [], [], []
        for params in variants:
            with scope_for(user), CaptureQueriesContext(connection) as service_sql:
                started = time.perf_counter()
                result = services.search_facilities(user, _criteria(params))
                service_ms.append((time.perf_counter() - started) * 1000)
            found.append(result.page.paginator.count)
            with (
                rendered_as_in_production(instrumented),
                CaptureQueriesContext(connection) as page_sql,
            ):
                started = time.perf_counter()
                response = client.get(url, _query_string(params))
                page_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        rows.append(
            (
                name,
                sum(found) / len(found),
                len(service_sql.captured_queries),
                _bulk.percentile(service_ms, 50),
                _bulk.percentile(service_ms, 95),
                len(page_sql.captured_queries),
                _bulk.percentile(page_ms, 50),
                _bulk.percentile(page_ms, 95),
            )
        )
        if explain:
            with (
                tenancy.cross_tenant("bench: the plan of the search"),
                CaptureQueriesContext(connection) as plan_sql,
            ):
                services.search_facilities(user, _criteria(variants[-1]))
            slowest = max(plan_sql.captured_queries, key=lambda q: float(q["time"]))
            print(f"\n-- {name}: the slowest statement ({float(slowest['time']) * 1000:.1f} ms)")
            print(slowest["sql"][:2000])
            for (line,) in _bulk.sql("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"]):
                print("   ", line)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=200, help="facilities at 1x (200)")
    parser.add_argument("--scale", default="1,10", help="multiples of --facilities (1,10)")
    parser.add_argument("--national", action="store_true", help="2,000 and 20,000 facilities")
    parser.add_argument("--per-municipality", type=int, default=20)
    parser.add_argument("--runs", type=int, default=20, help="timed calls per query (20)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest")
    parser.add_argument(
        "--jit",
        action="store_true",
        help="leave PostgreSQL's JIT on (docs/deploy.md sets jit = off in production)",
    )
    parser.add_argument(
        "--instrumented",
        action="store_true",
        help="render the page with the test environment's template signals (slower)",
    )
    args = parser.parse_args(argv)
    if args.national:
        args.facilities = 2000
    scales = [int(s) for s in args.scale.split(",")]
    _bulk.setup_django()
    from tsuen.core import clock, tenancy

    today = clock.today()
    print(
        f"facility search: PostgreSQL, today {today}, {args.runs} runs a query; target p95 < "
        f"{TARGET_P95_MS} ms {_bulk.CAVEAT}; load average "
        + ", ".join(f"{n:.2f}" for n in os.getloadavg())
    )
    table = []
    for scale in scales:
        size = args.facilities * scale
        with _bulk.throwaway_database():
            with tenancy.cross_tenant("bench: building the country"), _bulk.Timer() as built_in:
                built = build(size, args.per_municipality, today)
            wards, facilities, slots, bookings = built["counts"]
            print(
                f"{scale:>3}x: {facilities:,} facilities in {wards:,} municipalities, "
                f"{slots:,} place slots, {bookings:,} bookings; built in {built_in.seconds:.1f}s"
            )
            if not args.jit:  # as production runs (docs/deploy.md, PostgreSQL)
                from django.db import connection

                name = connection.settings_dict["NAME"]  # the throw-away database's
                _bulk.sql(f'ALTER DATABASE "{name}" SET jit = off')  # new connections
                _bulk.sql("SET jit = off")  # this one
            for row in measure(built, args.runs, args.explain, args.instrumented):
                table.append((f"{scale}x", facilities, *row))
    print()
    print(
        f"{'size':>4} {'facilities':>10}  {'query':40} {'found':>7} "
        f"{'svc sql':>7} {'p50':>6} {'p95':>6}  {'page sql':>8} {'p50':>6} {'p95':>6}"
    )
    for size, facilities, name, found, sq, s50, s95, pq, p50, p95 in table:
        mark = "" if p95 < TARGET_P95_MS else "  > target"
        print(
            f"{size:>4} {facilities:>10,}  {name:40} {found:7.0f} "
            f"{sq:7d} {s50:6.1f} {s95:6.1f}  {pq:8d} {p50:6.1f} {p95:6.1f}{mark}"
        )
    print("(times in ms: svc = search_facilities(), page = GET /facilities/ in-process)")
    print(
        f"PostgreSQL JIT {'on' if args.jit else 'off'}; load average at the end: "
        + ", ".join(f"{n:.2f}" for n in os.getloadavg())
    )


if __name__ == "__main__":
    main()
