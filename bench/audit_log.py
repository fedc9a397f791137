"""The audit log at national size: the auditor's searches and the chain's verification.

    TSUEN_DB=postgresql .venv/bin/python -m bench.audit_log   # 1,000,000 and 10,000,000 events
    TSUEN_DB=postgresql .venv/bin/python -m bench.audit_log --events 100000 --scale 1,10 --explain

For each size (``--events`` times each ``--scale``) it builds, in a throw-away PostgreSQL database,
``--municipalities`` wards (one ward in four of the events is the largest's: chains of different
lengths), ``--staff`` staff accounts (facility staff and ward reviewers), ``--children``
certified children and half as many guardian accounts: the same people at every size, so at 10x
each child's and each staff member's history is ten times as long. Then the events, in SQL
(``generate_series``) over a year, oldest first: staff reading a child or listing bookings,
guardians reading their child and booking, attendance updates, logins, reads of guardians and
households, exports, the odd failed login on the national chain.

The events are sealed into valid per-municipality chains in SQL, exactly as
``tsuen.audit.sequencer.seal`` would (in ``id`` order per chain, ``seq`` from 1, the canonical
JSON of ``tsuen.audit.chain`` hashed with SHA-256): a window aggregate carries every chain's head
along the events in ``id`` order. That this is the sequencer's chain is proven by the product's
``verify_chain`` and ``verify_all``, which recompute every hash in Python. Then ``--seal``
events are appended unsealed and sealed by the real sequencer (``seal()``), timed: its events/s.

Timed through the product's code: ``tsuen.audit.search.search`` (the service of the audit log
page) and ``GET /audit/`` (Django's test client, signed in as the ward's auditor with the
second factor), by child (certificate number), by staff member (email) and the recent events
(``?page=1``), ``--runs`` different children and staff members each; the log's first look
(``/audit/`` with no query, which verifies the ward's chain) a few times; verification of the
largest ward's chain and of every chain, in events/s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import signal
import time

from bench import _bulk

TARGET_P95_MS = 200
GENESIS = "0" * 64
#: The cloned municipalities' codes (the template ward's is 9xxxx).
CLONES = "'10001' AND '89999'"
START = "2025-12-01 00:00:00+09"  # a year of events up to the end of November 2026
YEAR_S = 365 * 24 * 3600

# The events' mix: (upper bound of the draw ``rk``, then SQL for the actor kind, action, object
# type, object id (the person's or ward's id is filled in for those objects), field names, whose
# children and guardians). JSON lists are written as Python's json.dumps writes them (no spaces).
# The rest (0.5 %) are failed logins of unknown accounts, on the national chain.
CHILD_FIELDS = '\'["birth_date","family_name","given_name"]\''
KINDS = [
    # staff read a child's record
    (0.40, "'staff'", "'read'", "'families.child'", "''", CHILD_FIELDS, "'child'", "'none'"),
    # staff list bookings (one event per row)
    (
        0.62,
        "'staff'",
        "'list'",
        "'booking.booking'",
        "(r.i %% 5000000)::text",
        '\'["date","ends_at","starts_at"]\'',
        "'child'",
        "'none'",
    ),
    # a guardian reads their child
    (0.74, "'guardian'", "'read'", "'families.child'", "''", CHILD_FIELDS, "'child'", "'none'"),
    # a guardian books or changes a booking
    (
        0.82,
        "'guardian'",
        "CASE WHEN r.i %% 3 = 0 THEN 'update' ELSE 'create' END",
        "'booking.booking'",
        "(r.i %% 5000000)::text",
        '\'["ends_at","starts_at"]\'',
        "'child'",
        "'none'",
    ),
    # staff record attendance
    (
        0.88,
        "'staff'",
        "'update'",
        "'attendance.attendance'",
        "(r.i %% 3000000)::text",
        '\'["checked_in_at","checked_out_at"]\'',
        "'child'",
        "'none'",
    ),
    # logins
    (
        0.93,
        "'staff'",
        "CASE WHEN r.i %% 2 = 0 THEN 'login' ELSE 'logout' END",
        "'accounts.user'",
        "''",
        "'[]'",
        "'none'",
        "'none'",
    ),
    # a reviewer reads a guardian
    (
        0.96,
        "'staff'",
        "'read'",
        "'families.guardian'",
        "''",
        '\'["email","phone"]\'',
        "'none'",
        "'guardian'",
    ),
    # a household with its children and guardian
    (
        0.985,
        "'staff'",
        "'read'",
        "'families.household'",
        "(r.i %% 2000000)::text",
        "'[\"address_line\"]'",
        "'siblings'",
        "'guardian'",
    ),
    # an export of the ward's data
    (
        0.995,
        "'staff'",
        "'export'",
        "'municipalities.municipality'",
        "''",
        "'[]'",
        "'none'",
        "'none'",
    ),
]


def _kind_sql(column: int, default: str) -> str:
    """A CASE over the draw ``rk`` choosing column ``column`` of :data:`KINDS`."""
    whens = " ".join(f"WHEN rk < {kind[0]} THEN {kind[column]}" for kind in KINDS)
    return f"CASE {whens} ELSE {default} END"


def build_people(municipalities: int, staff: int, children: int, facilities_per_ward: int) -> dict:
    """Wards, facilities, staff and guardian accounts, certified children (SQL clones)."""
    from tests import factories as f

    from tsuen.accounts.models import Role, User
    from tsuen.certification.models import Certification
    from tsuen.facilities.models import Facility
    from tsuen.families.models import Child, Household
    from tsuen.municipalities.models import Municipality

    ward = f.municipality()  # ward 0: the auditor's, with its staff network (loopback)
    place = f.facility(ward)
    household = f.household(ward)
    kid = f.child(household)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    helper = f.user(Role.FACILITY_STAFF, facility=place)
    parent = f.user(Role.GUARDIAN)
    cert = f.certification(kid, reviewer, number="TEMPLATE")
    auditor = f.user(Role.AUDITOR, municipality=ward, email="auditor@bench.example.jp")
    f.second_factor(auditor)

    _bulk.clone(
        Municipality,
        ward.pk,
        "generate_series(1, %s) AS i",
        {"code": "lpad((10000 + i)::text, 5, '0')", "name": "'監査区' || i"},
        [municipalities - 1],
    )
    _bulk.sql(
        "CREATE TABLE bench_ward AS SELECT 0 AS m, %s::bigint AS id UNION ALL"  # noqa: S608
        " SELECT row_number() OVER (ORDER BY id), id FROM municipalities_municipality"
        f" WHERE code BETWEEN {CLONES}",
        [ward.pk],
    )
    _bulk.clone(
        Facility,
        place.pk,
        "bench_ward w, generate_series(1, %s) AS i",
        {
            "municipality_id": "w.id",
            "name": "'監査園' || w.m || '-' || i",
            "facility_number": "'13' || lpad((w.m * 1000 + i)::text, 8, '0')",
        },
        [facilities_per_ward],
    )
    _bulk.sql(
        "CREATE TABLE bench_facility AS SELECT w.m, f.id, row_number() OVER"
        " (PARTITION BY w.m ORDER BY f.id) - 1 AS n FROM facilities_facility f"
        " JOIN bench_ward w ON w.id = f.municipality_id WHERE f.id <> %s",
        [place.pk],
    )
    # Staff account s works in ward s % M; one in five is a ward reviewer, the others work at
    # one of the ward's facilities.
    _bulk.clone(
        User,
        reviewer.pk,
        "generate_series(0, %s) AS s JOIN bench_ward w ON w.m = s %% %s",
        {"email": "'bench-staff-' || s || '@example.jp'", "municipality_id": "w.id"},
        [staff - 1, municipalities],
        where="s %% 5 = 0",
    )
    _bulk.clone(
        User,
        helper.pk,
        "generate_series(0, %s) AS s JOIN bench_facility fa ON fa.m = s %% %s"
        " AND fa.n = (s / %s) %% %s",
        {"email": "'bench-staff-' || s || '@example.jp'", "facility_id": "fa.id"},
        [staff - 1, municipalities, municipalities, facilities_per_ward],
        where="s %% 5 <> 0",
    )
    _bulk.sql(
        "CREATE TABLE bench_staff AS SELECT split_part(split_part(email, '-', 3), '@', 1)::int"
        " AS s, id, role FROM accounts_user WHERE email LIKE 'bench-staff-%%'"
    )
    guardians = max(1, children // 2)
    _bulk.clone(
        User,
        parent.pk,
        "generate_series(0, %s) AS g",
        {"email": "'bench-guardian-' || g || '@example.jp'"},
        [guardians - 1],
    )
    _bulk.sql(
        "CREATE TABLE bench_guardian AS SELECT split_part(split_part(email, '-', 3), '@', 1)::int"
        " AS g, id FROM accounts_user WHERE email LIKE 'bench-guardian-%%'"
    )
    # One household a ward; child k lives in ward k % M, certified with number BN<k>.
    _bulk.clone(
        Household, household.pk, "bench_ward w", {"municipality_id": "w.id"}, where="w.m > 0"
    )
    _bulk.sql(
        "CREATE TABLE bench_household AS SELECT 0 AS m, %s::bigint AS id UNION ALL"
        " SELECT w.m, h.id FROM families_household h JOIN bench_ward w"
        " ON w.id = h.municipality_id WHERE h.id <> %s",
        [household.pk, household.pk],
    )
    _bulk.clone(
        Child,
        kid.pk,
        "generate_series(0, %s) AS k JOIN bench_household h ON h.m = k %% %s",
        {"household_id": "h.id", "given_name": "'bc' || k"},
        [children - 1, municipalities],
    )
    _bulk.sql(
        "CREATE TABLE bench_child AS SELECT substr(given_name, 3)::int AS k, id"
        " FROM families_child WHERE given_name LIKE 'bc%%'"
    )
    _bulk.clone(
        Certification,
        cert.pk,
        "bench_child bc JOIN bench_ward w ON w.m = bc.k %% %s",
        {
            "child_id": "bc.id",
            "municipality_id": "w.id",
            "number": "'BN' || lpad(bc.k::text, 7, '0')",
        },
        [municipalities],
    )
    for table, key in (
        ("bench_ward", "m"),
        ("bench_staff", "s"),
        ("bench_guardian", "g"),
        ("bench_child", "k"),
    ):
        _bulk.sql(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
    return {"ward": ward, "auditor": auditor}


def _events_sql(municipalities: int, staff: int, children: int) -> str:
    """INSERT the events ``%s`` to ``%s`` (ids offset by ``%s``) into ``bench_event``."""
    guardians = max(1, children // 2)
    wards = municipalities
    per_ward_staff = max(1, staff // wards)
    per_ward_children = max(1, children // wards)
    others = max(1, wards - 1)
    # SQL written here from numbers and the constants above, never from input.
    return f"""
    INSERT INTO bench_event
    SELECT d.id, d.m, d.occurred_at,
        w.id AS municipality_id,
        CASE d.actor WHEN 'staff' THEN st.id WHEN 'guardian' THEN gu.id END AS actor_id,
        CASE d.actor WHEN 'staff' THEN st.role ELSE d.actor END AS actor_role,
        CASE d.actor WHEN 'staff' THEN w.id END AS actor_municipality_id,
        CASE d.actor WHEN 'anonymous' THEN '198.51.100.' || (d.i %% 250)
            WHEN 'staff' THEN '10.' || d.m || '.' || (d.s %% 250) || '.' || (d.s / 250 %% 250)
            ELSE '203.0.113.' || (d.g %% 250) END AS source_address,
        md5(d.i::text) AS request_id,
        d.action,
        d.object_type,
        CASE d.object_type WHEN 'families.child' THEN ch.id::text
            WHEN 'accounts.user' THEN st.id::text
            WHEN 'families.guardian' THEN gu.id::text
            WHEN 'municipalities.municipality' THEN w.id::text
            ELSE d.object_id END AS object_id,
        d.field_names,
        CASE d.people_c WHEN 'child' THEN '[' || ch.id || ']'
            WHEN 'siblings' THEN '[' || least(ch.id, ch2.id) || ',' || greatest(ch.id, ch2.id)
                || ']'
            ELSE '[]' END AS subject_child_ids,
        CASE d.people_g WHEN 'guardian' THEN '[' || gu.id || ']' ELSE '[]' END
            AS subject_guardian_ids,
        CASE d.action WHEN 'export' THEN encode(sha256(d.i::text::bytea), 'hex') ELSE '' END
            AS document_sha256
    FROM (
        SELECT r.i, %s + r.i AS id, r.m,
            r.m + {wards} * floor(r.rs * {per_ward_staff})::int AS s,
            r.m + {wards} * floor(r.rc * {per_ward_children})::int AS k,
            r.m + {wards} * floor(r.rc2 * {per_ward_children})::int AS k2,
            (r.m + {wards} * floor(r.rc * {per_ward_children})::int) %% {guardians} AS g,
            timestamptz '{START}' + (r.i * {YEAR_S}.0 / %s) * interval '1 second'
                AS occurred_at,
            {_kind_sql(1, "'anonymous'")} AS actor,
            {_kind_sql(2, "'login_failed'")} AS action,
            {_kind_sql(3, "''")} AS object_type,
            {_kind_sql(4, "''")} AS object_id,
            {_kind_sql(5, "'[]'")} AS field_names,
            {_kind_sql(6, "'none'")} AS people_c,
            {_kind_sql(7, "'none'")} AS people_g
        FROM (
            SELECT i, rk, rs, rc, rc2,
                CASE WHEN rk >= {KINDS[-1][0]} THEN {wards}
                    WHEN rw < 0.25 OR {wards} = 1 THEN 0
                    ELSE 1 + least(floor((rw - 0.25) / 0.75 * {others})::int, {others} - 1)
                END AS m
            FROM (
                SELECT i, random() AS rk, random() AS rw, random() AS rs, random() AS rc,
                    random() AS rc2
                FROM generate_series(%s, %s) AS i
            ) x
        ) r
    ) d
    LEFT JOIN bench_ward w ON w.m = d.m
    LEFT JOIN bench_staff st ON st.s = d.s
    LEFT JOIN bench_guardian gu ON gu.g = d.g
    LEFT JOIN bench_child ch ON ch.k = d.k
    LEFT JOIN bench_child ch2 ON ch2.k = d.k2
    """  # noqa: S608


#: The canonical JSON of tsuen.audit.chain.canonical, up to the previous hash and from the seq's
#: end, over a row of ``bench_event`` (keys sorted; only ASCII, so no escaping is needed).
CANONICAL_HEAD = """'{"action":"' || action || '","actor_id":' || coalesce(actor_id::text, 'null')
    || ',"actor_municipality_id":' || coalesce(actor_municipality_id::text, 'null')
    || ',"actor_role":"' || actor_role || '","document_sha256":"' || document_sha256
    || '","field_names":' || field_names
    || ',"municipality_id":' || coalesce(municipality_id::text, 'null')
    || ',"object_id":"' || object_id || '","object_type":"' || object_type
    || '","occurred_at":"' || to_char(occurred_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '","prev_hash":"'"""
CANONICAL_TAIL = """',"source_address":"' || source_address || '","subject_child_ids":'
    || subject_child_ids || ',"subject_guardian_ids":' || subject_guardian_ids || ',"v":1}'"""

#: One step of the sequencer, for every chain at once: the state holds, for the event just
#: sealed, its prev_hash, hash and seq, then each chain's head hash and seq (chain m at
#: 4 + 2m and 5 + 2m). seq and hash exactly as ``sequencer.seal_batch`` gives them.
CHAIN_STEP = """
CREATE FUNCTION bench_chain_step(state text[], m int, head text, request_id text, tail text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    prev text := state[4 + 2 * m];
    seq bigint := state[5 + 2 * m]::bigint + 1;
    hash text;
BEGIN
    hash := encode(sha256(convert_to(head || prev || '","request_id":"' || request_id
        || '","seq":' || seq || tail, 'UTF8')), 'hex');
    state[1] := prev; state[2] := hash; state[3] := seq;
    state[4 + 2 * m] := hash; state[5 + 2 * m] := seq;
    RETURN state;
END $$
"""

EVENT_COLUMNS = (
    "occurred_at, municipality_id, actor_id, actor_role, actor_municipality_id, source_address,"
    " request_id, action, object_type, object_id, field_names, subject_child_ids,"
    " subject_guardian_ids, document_sha256"
)
EVENT_VALUES = (
    "occurred_at, municipality_id, actor_id, actor_role, actor_municipality_id, source_address,"
    " request_id, action, object_type, object_id, field_names::jsonb, subject_child_ids::jsonb,"
    " subject_guardian_ids::jsonb, document_sha256"
)


def build_events(events: int, unsealed: int, municipalities: int, staff: int, children: int):
    """``events`` sealed events in SQL, then ``unsealed`` more appended unsealed; returns the
    seconds of each step."""
    from django.db import connection

    steps = {}
    chains = municipalities + 1  # the national chain is chain number M
    total = events + unsealed
    [(offset,)] = _bulk.sql("SELECT coalesce(max(id), 0) FROM audit_auditevent")
    _bulk.sql(
        "CREATE UNLOGGED TABLE bench_event (id bigint PRIMARY KEY, m int, occurred_at"
        " timestamptz, municipality_id bigint, actor_id bigint, actor_role text,"
        " actor_municipality_id bigint, source_address text, request_id text, action text,"
        " object_type text, object_id text, field_names text, subject_child_ids text,"
        " subject_guardian_ids text, document_sha256 text)"
    )
    with _bulk.Timer() as t:
        _bulk.sql("SELECT setseed(0.11)")
        _bulk.sql(_events_sql(municipalities, staff, children), [offset, total, 1, total])
    steps["generate"] = t.seconds
    # The chain heads, one per ward and the national one.
    _bulk.sql(
        "INSERT INTO audit_auditchainhead (key, municipality_id, seq, head_hash)"
        " SELECT 'municipality:' || id, id, 0, %s FROM bench_ward UNION ALL"
        " SELECT 'national', NULL, 0, %s",
        [GENESIS, GENESIS],
    )
    _bulk.sql(
        "CREATE TABLE bench_chain AS SELECT w.m, h.id FROM audit_auditchainhead h"
        " JOIN bench_ward w ON w.id = h.municipality_id UNION ALL"
        " SELECT %s, id FROM audit_auditchainhead WHERE key = 'national'",
        [municipalities],
    )
    # The table's own indexes are made again after the bulk insert (faster than keeping them
    # up row by row); the primary key and the unique (chain, seq) stay.
    indexes = _bulk.sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'audit_auditevent'"
        " AND i.indexname NOT IN (SELECT conname FROM pg_constraint)"
    )
    for name, _definition in indexes:
        _bulk.sql(f'DROP INDEX "{name}"')
    _bulk.sql(CHAIN_STEP)
    initial = "{" + ",".join([GENESIS, GENESIS, "0"] + [GENESIS, "0"] * chains) + "}"
    _bulk.sql(
        "CREATE AGGREGATE bench_chain(int, text, text, text) (sfunc = bench_chain_step,"
        f" stype = text[], initcond = '{initial}')"
    )
    with _bulk.Timer() as t:
        _bulk.sql(
            f"INSERT INTO audit_auditevent (id, chain_id, seq, prev_hash, hash, {EVENT_COLUMNS})"  # noqa: S608
            " SELECT x.id, c.id, x.state[3]::bigint, x.state[1], x.state[2],"
            f" {EVENT_VALUES} FROM (SELECT e.*, bench_chain(e.m, {CANONICAL_HEAD}, request_id,"
            f" {CANONICAL_TAIL}) OVER (ORDER BY e.id ROWS BETWEEN UNBOUNDED PRECEDING AND"
            " CURRENT ROW) AS state FROM bench_event e WHERE e.id <= %s) x"
            " JOIN bench_chain c ON c.m = x.m ORDER BY x.id",
            [offset + events],
        )
        # The unsealed ones: appended after, as requests would since the sequencer's last run.
        _bulk.sql(
            f"INSERT INTO audit_auditevent (id, {EVENT_COLUMNS})"  # noqa: S608
            f" SELECT id, {EVENT_VALUES} FROM bench_event WHERE id > %s ORDER BY id",
            [offset + events],
        )
    steps["insert and chain"] = t.seconds
    with _bulk.Timer() as t:
        _bulk.sql(
            "UPDATE audit_auditchainhead h SET seq = l.seq, head_hash = l.hash FROM ("
            " SELECT DISTINCT ON (chain_id) chain_id, seq, hash FROM audit_auditevent"
            " WHERE chain_id IS NOT NULL ORDER BY chain_id, seq DESC) l WHERE h.id = l.chain_id"
        )
        for _name, definition in indexes:
            _bulk.sql(definition)
        _bulk.sql(
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'),"
            " (SELECT max(id) FROM audit_auditevent))"
        )
        _bulk.sql("DROP TABLE bench_event")
        # As autovacuum would have by now: statistics and the visibility map.
        connection.ensure_connection()
        _bulk.sql("VACUUM (ANALYZE) audit_auditevent")
        _bulk.analyze()
    steps["indexes, vacuum"] = t.seconds
    return steps


def sample_canonical_check() -> None:
    """The SQL canonical text of a few events equals tsuen.audit.chain.canonical's."""
    from tsuen.audit.chain import canonical
    from tsuen.audit.models import AuditEvent

    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("?")[:5]:
        ours = event.compute_hash()
        if ours != event.hash:
            raise RuntimeError(
                f"event {event.pk}: SQL hash {event.hash} != product {ours}\n"
                f"{canonical({n: getattr(event, n) for n in _hashed()}).decode()}"
            )


def _hashed():
    from tsuen.audit.chain import HASHED_FIELDS

    return HASHED_FIELDS


def _timed(call) -> tuple[float, object, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    return seconds * 1000, result, queries.captured_queries


def _explain(name: str, captured: list[dict]) -> None:
    slowest = max(captured, key=lambda q: float(q["time"]))
    print(f"\n-- {name}: the slowest statement ({float(slowest['time']) * 1000:.1f} ms)")
    print(slowest["sql"][:1500])
    for (line,) in _bulk.sql("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"]):
        print("   ", line)


def measure_searches(built: dict, municipalities: int, staff: int, children: int, args) -> list:
    """p50/p95 of the service and of the page, per kind of search; returns table rows."""
    from django.test import Client
    from django.urls import reverse

    from tsuen.accounts.testing import login_with_second_factor
    from tsuen.audit import search as service
    from tsuen.core.context import acting_as, actor_for
    from tsuen.core.middleware import scope_for

    auditor = built["auditor"]
    runs = args.runs
    # Ward 0's children and staff members (k % M == 0), spread over the ward.
    kids = [m for m in range(0, children, municipalities)]
    people = [m for m in range(0, staff, municipalities)]
    pick_kids = [kids[(i * 7919) % len(kids)] for i in range(runs)]
    pick_staff = [people[(i * 7919) % len(people)] for i in range(runs)]
    kinds = {
        "by child (certificate no.)": [{"child": f"BN{k:07d}"} for k in pick_kids],
        "by staff member (email)": [
            {"staff_email": f"bench-staff-{s}@example.jp"} for s in pick_staff
        ],
        "recent events, page 1": [{"page": "1"}] * runs,
        "by child, reads, last month": [
            {"child": f"BN{k:07d}", "kind": "reads", "date_from": "2026-11-01"} for k in pick_kids
        ],
    }
    client = Client()
    login_with_second_factor(client, auditor)
    url = reverse("audit:log")
    rows = []

    def call(params: dict):
        filters = {k: v for k, v in params.items() if k != "page"}
        if "date_from" in filters:
            import datetime as dt

            filters["date_from"] = dt.date.fromisoformat(filters["date_from"])
        with scope_for(auditor), acting_as(actor_for(auditor, "127.0.0.1")):
            return service.search(auditor, service.Filters(**filters), params.get("page", 1))

    for name, variants in kinds.items():
        call(variants[0])  # warm up: templates, translations, plans
        client.get(url, variants[0])
        service_ms, page_ms, found = [], [], []
        for params in variants:
            ms, result, service_sql = _timed(lambda p=params: call(p))
            service_ms.append(ms)
            found.append(result.page.paginator.count)
            ms, response, page_sql = _timed(lambda p=params: client.get(url, p))
            page_ms.append(ms)
            if response.status_code != 200:
                raise RuntimeError(f"{url} {params} answered {response.status_code}")
        rows.append(
            (
                name,
                sum(found) / len(found),
                len(service_sql),
                _bulk.percentile(service_ms, 50),
                _bulk.percentile(service_ms, 95),
                len(page_sql),
                _bulk.percentile(page_ms, 50),
                _bulk.percentile(page_ms, 95),
            )
        )
        if args.explain:
            _explain(name, service_sql)
    # The log's first look: the page with no query verifies the ward's chain.
    landing = []
    for _ in range(args.landing_runs):
        ms, response, page_sql = _timed(lambda: client.get(url))
        if response.status_code != 200 or b'id="chain-ok"' not in response.content:
            raise RuntimeError(f"{url} answered {response.status_code} without chain-ok")
        landing.append(ms)
    if landing:
        rows.append(
            (
                "first look (verifies the chain)",
                float("nan"),
                0,
                float("nan"),
                float("nan"),
                len(page_sql),
                _bulk.percentile(landing, 50),
                max(landing),
            )
        )
    return rows


def measure_verification(ward_id: int, skip_all: bool = False) -> dict:
    from tsuen.audit.verify import verify_all, verify_chain

    with _bulk.Timer() as one:
        result = verify_chain(ward_id)
    if not result.ok:
        raise RuntimeError(f"the ward's chain does not verify: {result}")
    if skip_all:
        return {"ward_events": result.events_checked, "ward_s": one.seconds}
    with _bulk.Timer() as every:
        results = verify_all()
    broken = [r for r in results if not r.ok]
    if broken:
        raise RuntimeError("chains do not verify: " + "; ".join(map(str, broken)))
    checked = sum(r.events_checked for r in results)
    return {
        "ward_events": result.events_checked,
        "ward_s": one.seconds,
        "all_events": checked,
        "all_chains": len(results),
        "all_s": every.seconds,
    }


def one_size(size: int, args) -> dict:
    from tsuen.audit.models import AuditEvent
    from tsuen.audit.sequencer import seal
    from tsuen.core import tenancy

    with _bulk.throwaway_database():
        with tenancy.cross_tenant("bench: the audit log's people"), _bulk.Timer() as t:
            built = build_people(args.municipalities, args.staff, args.children, 20)
        people_s = t.seconds
        steps = build_events(size, args.seal, args.municipalities, args.staff, args.children)
        sample_canonical_check()
        [(table_size,)] = _bulk.sql(
            "SELECT pg_size_pretty(pg_total_relation_size('audit_auditevent'))"
        )
        sizes = _bulk.sql(
            "SELECT count(*) FROM audit_auditevent WHERE municipality_id = %s", [built["ward"].pk]
        )
        print(
            f"{size // args.events:>3}x: {size:,} sealed events + {args.seal:,} unsealed; "
            f"ward 0's chain {sizes[0][0]:,}; table with indexes {table_size}; people "
            f"{people_s:.1f}s, "
            + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in steps.items()),
            flush=True,
        )
        # The real sequencer seals the appended events, continuing the SQL-built chains.
        unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
        with _bulk.Timer() as t:
            sealed = seal()
        if sealed != unsealed:
            raise RuntimeError(f"the sequencer sealed {sealed} of {unsealed}")
        seal_rate = sealed / t.seconds
        print(f"     sequencer: sealed {sealed:,} in {t.seconds:.1f}s", flush=True)
        verified = measure_verification(built["ward"].pk, args.no_verify_all)
        print(
            f"     verified ward 0 ({verified['ward_events']:,}) in {verified['ward_s']:.1f}s"
            + (
                ""
                if args.no_verify_all
                else f", all {verified['all_chains']} chains ({verified['all_events']:,}) in "
                f"{verified['all_s']:.1f}s"
            ),
            flush=True,
        )
        rows = measure_searches(built, args.municipalities, args.staff, args.children, args)
        for row in rows:  # at once, so that a long run's first size survives a later failure
            print("     " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row))
    return {
        "size": size,
        "seal_rate": seal_rate,
        "build_s": people_s + sum(steps.values()),
        "rows": rows,
        **verified,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events at 1x (1,000,000)")
    parser.add_argument("--scale", default="1,10", help="multiples of --events (1,10)")
    parser.add_argument("--municipalities", type=int, default=8, help="wards (8)")
    parser.add_argument("--staff", type=int, default=4000, help="staff accounts (4,000)")
    parser.add_argument("--children", type=int, default=40000, help="children (40,000)")
    parser.add_argument("--seal", type=int, default=20000, help="events the sequencer seals")
    parser.add_argument("--runs", type=int, default=20, help="timed searches of each kind (20)")
    parser.add_argument("--landing-runs", type=int, default=5, help="first looks timed (5)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest statements")
    parser.add_argument("--no-verify-all", action="store_true", help="verify ward 0's chain only")
    args = parser.parse_args(argv)
    # A TERM (a timeout, a kill) unwinds like ^C, so the throw-away database is dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    scales = [int(s) for s in args.scale.split(",")]
    _bulk.setup_django()

    print(
        f"audit log: PostgreSQL, {args.municipalities} wards, {args.staff:,} staff, "
        f"{args.children:,} children; {args.runs} runs a search; target p95 < {TARGET_P95_MS} ms "
        f"{_bulk.CAVEAT}",
        flush=True,
    )
    results = [one_size(args.events * scale, args) for scale in scales]
    print()
    print(
        f"{'size':>4} {'events':>11}  {'search':32} {'found':>7} "
        f"{'svc sql':>7} {'p50':>7} {'p95':>7}  {'page sql':>8} {'p50':>7} {'p95':>7}"
    )
    for r in results:
        scale = f"{r['size'] // args.events}x"
        for name, found, sq, s50, s95, pq, p50, p95 in r["rows"]:
            slow = p95 >= TARGET_P95_MS or s95 >= TARGET_P95_MS  # NaN for the first look
            mark = "  > target" if slow and not name.startswith("first look") else ""
            print(
                f"{scale:>4} {r['size']:>11,}  {name:32} {found:7.0f} "
                f"{sq:7d} {s50:7.1f} {s95:7.1f}  {pq:8d} {p50:7.1f} {p95:7.1f}{mark}"
            )
    print("(times in ms: svc = tsuen.audit.search.search(), page = GET /audit/ in-process;")
    print(" the first look's p95 column is its worst of --landing-runs)")
    print()
    print(
        f"{'size':>4} {'events':>11}  {'sequencer ev/s':>14}  {'verify ward':>22}  "
        f"{'verify all':>22}"
    )
    for r in results:
        scale = f"{r['size'] // args.events}x"
        every = (
            f"{r['all_events']:>10,} {r['all_events'] / r['all_s']:>7,.0f} ev/s"
            if "all_s" in r
            else "-"
        )
        print(
            f"{scale:>4} {r['size']:>11,}  {r['seal_rate']:14,.0f}  "
            f"{r['ward_events']:>10,} {r['ward_events'] / r['ward_s']:>7,.0f} ev/s  {every}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        print()
        print(
            f"growth {first['size']:,} -> {last['size']:,} events "
            f"({last['size'] / first['size']:.0f}x):"
        )
        for a, b in zip(first["rows"], last["rows"], strict=True):
            print(f"  {a[0]:32} service p95 x{b[4] / a[4]:5.2f}   page p95 x{b[7] / a[7]:5.2f}")
        verify = "all_s" if "all_s" in last else "ward_s"
        print(
            f"  verification time ({verify[:-2]})      x{last[verify] / first[verify]:5.2f};"
            f" sequencer ev/s x{last['seal_rate'] / first['seal_rate']:5.2f}"
        )


if __name__ == "__main__":
    main()
