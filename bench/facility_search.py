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
import datetime as dt
import time

from bench import _bulk

DAYS = 28
#: The cloned municipalities' codes (the template ward's is 9xxxx).
CLONES = "'10001' AND '89999'"
TARGET_P95_MS = 50


def build(facilities: int, per_municipality: int, today: dt.date) -> dict:
    """Municipalities, facilities, slots, children and bookings; returns ids to query with."""
    from tests import factories as f

    from tsuen.booking.models import Booking
    from tsuen.facilities.models import Facility, PlaceSlot
    from tsuen.families.models import Child
    from tsuen.municipalities.models import Municipality

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
        "generate_series(0, %s) AS i JOIN (SELECT id AS mid, row_number() OVER (ORDER BY id) - 1"  # noqa: S608
        f" AS mno FROM municipalities_municipality WHERE code BETWEEN {CLONES}) m"
        " ON m.mno = i %% %s",
        {
            "municipality_id": "m.mid",
            "name": "'ほいくえん' || i",
            "name_kana": "'ホイクエン' || lpad(i::text, 6, '0')",
            "address": "'東京都市区' || (m.mno + 1) || '本町' || (i %% 7) || '丁目'",
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
    # bookings on one day), then the bookings: 2 of 2 places (full) or 3 of 10.
    _bulk.clone(
        Child,
        kid.pk,
        "facilities_facility fa, generate_series(0, 8) AS k",
        {"given_name": "'c' || fa.id || '-' || k"},
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
    _bulk.analyze()
    counts = _bulk.sql(
        f"SELECT (SELECT count(*) FROM municipalities_municipality WHERE code BETWEEN {CLONES}),"  # noqa: S608
        " (SELECT count(*) FROM facilities_facility WHERE NOT suspended),"
        " (SELECT count(*) FROM facilities_placeslot), (SELECT count(*) FROM booking_booking)"
    )[0]
    ward_ids = [
        pk
        for (pk,) in _bulk.sql(
            f"SELECT id FROM municipalities_municipality WHERE code BETWEEN {CLONES} ORDER BY id"  # noqa: S608
        )
    ]
    return {
        "counts": counts,
        "wards": ward_ids,
        "guardian": guardian_user,
    }


def queries(ward_ids: list[int], runs: int) -> dict[str, list[dict]]:
    """The guardian's typical searches, ``runs`` of each, over different wards and days."""
    spread = [ward_ids[(i * 7919) % len(ward_ids)] for i in range(runs)]
    return {
        "ward, class 1, a weekday, free places": [
            {"municipality": w, "age_class": 1, "weekday": 1 + i % 6, "free_places": True}
            for i, w in enumerate(spread)
        ],
        "ward, class 0, morning, free places": [
            {"municipality": w, "age_class": 0, "time_of_day": "morning", "free_places": True}
            for w in spread
        ],
        "nearby: area text, class 2, free": [
            {"area": f"市区{ward_ids.index(w) + 1}本町", "age_class": 2, "free_places": True}
            for w in spread
        ],
        "whole country, class 1, a weekday, free": [
            {"age_class": 1, "weekday": 1 + i % 6, "free_places": True} for i in range(runs)
        ],
    }


def _criteria(params: dict):
    from tsuen.facilities.services import SearchCriteria

    return SearchCriteria(
        municipality_id=params.get("municipality"),
        area=params.get("area", ""),
        age_class=params.get("age_class"),
        weekday=params.get("weekday"),
        time_of_day=params.get("time_of_day", ""),
        free_places=params.get("free_places", False),
    )


def _query_string(params: dict) -> dict:
    return {k: ("on" if v is True else v) for k, v in params.items()}


def measure(built: dict, runs: int, explain: bool) -> list[tuple]:
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
    for name, variants in queries(built["wards"], runs).items():
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
            with CaptureQueriesContext(connection) as page_sql:
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
    args = parser.parse_args(argv)
    if args.national:
        args.facilities = 2000
    scales = [int(s) for s in args.scale.split(",")]
    _bulk.setup_django()
    from tsuen.core import clock, tenancy

    today = clock.today()
    print(
        f"facility search: PostgreSQL, today {today}, {args.runs} runs a query; target p95 < "
        f"{TARGET_P95_MS} ms {_bulk.CAVEAT}"
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
            for row in measure(built, args.runs, args.explain):
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


if __name__ == "__main__":
    main()
