"""The triggers that keep the dashboard's visit figures (tsuen.reports.models), on PostgreSQL and
SQLite, and the figures of the visits already in the database.

Each trigger appends, in the writing transaction, the change of the contribution of the visits
it touches: the contribution after the write minus the one before (grouped by key, rows that
change nothing left out). A visit's contribution is that of its booking row, its attendance
row if any and its child's ward; a booking that no longer exists contributes nothing. Only
one row changes per trigger, so "before" is the same pair with the old row.

The SQL is written here, not imported, so that the migration keeps meaning what it meant.
"""

from django.db import migrations

CHANGE_COLUMNS = (
    "facility_id, child_id, ward_id, date, "
    "visits, attended_minutes, booked_minutes, counting_minutes"
)
WARD_OF_CHILD = (
    "(SELECT h.municipality_id FROM families_child c "
    "JOIN families_household h ON h.id = c.household_id WHERE c.id = {child})"
)


def contribution(sign: str, b: str, a_status: str, a_minutes: str, ward: str, source: str) -> str:
    """SELECT the contribution of booking ``b`` (a table alias, NEW or OLD) with the attendance
    status and minutes given as SQL (NULL for none), its child in ``ward``, times ``sign``."""
    minutes = f"COALESCE({a_minutes}, {b}.billable_minutes)"
    return (
        f"SELECT {b}.facility_id AS facility_id, {b}.child_id AS child_id, {ward} AS ward_id, "
        f"{b}.date AS date, "
        f"{sign} * (CASE WHEN {a_status} = 'present' THEN 1 ELSE 0 END) AS visits, "
        f"{sign} * (CASE WHEN {a_status} = 'present' THEN {minutes} ELSE 0 END) "
        "AS attended_minutes, "
        f"{sign} * (CASE WHEN {b}.status = 'confirmed' THEN {b}.billable_minutes ELSE 0 END) "
        "AS booked_minutes, "
        f"{sign} * (CASE WHEN {b}.status IN ('confirmed', 'late_cancelled') "
        f"AND {b}.counts_toward_caps THEN {minutes} ELSE 0 END) AS counting_minutes "
        f"{source}"
    )


def append(*parts: str) -> str:
    """INSERT the sum of the contributions per key, leaving out keys whose change is zero."""
    return (
        f"INSERT INTO reports_visitchange ({CHANGE_COLUMNS}) "
        "SELECT facility_id, child_id, ward_id, date, SUM(visits), SUM(attended_minutes), "
        "SUM(booked_minutes), SUM(counting_minutes) "
        f"FROM ({' UNION ALL '.join(parts)}) AS x "
        "GROUP BY facility_id, child_id, ward_id, date "
        "HAVING SUM(visits) <> 0 OR SUM(attended_minutes) <> 0 OR SUM(booked_minutes) <> 0 "
        "OR SUM(counting_minutes) <> 0"
    )


def _booking_side(sign: str, row: str) -> str:
    """A booking row (NEW or OLD) with its attendance as it is now."""
    return contribution(
        sign,
        row,
        "a.status",
        "a.billable_minutes",
        WARD_OF_CHILD.format(child=f"{row}.child_id"),
        f"FROM (SELECT 1 AS one) AS one "
        f"LEFT JOIN attendance_attendance a ON a.booking_id = {row}.id",
    )


def _attendance_side(sign: str, row: str | None, booking_id: str) -> str:
    """The booking ``booking_id`` as it is now, with attendance ``row`` (NEW, OLD, or None for
    no attendance)."""
    status, minutes = (f"{row}.status", f"{row}.billable_minutes") if row else ("NULL", "NULL")
    return contribution(
        sign,
        "b",
        status,
        minutes,
        WARD_OF_CHILD.format(child="b.child_id"),
        f"FROM booking_booking b WHERE b.id = {booking_id}",
    )


def _moved(sign: str, ward: str, where: str) -> str:
    """The bookings matching ``where`` (over b and ch, the child) counted for ``ward``."""
    return contribution(
        sign,
        "b",
        "a.status",
        "a.billable_minutes",
        ward,
        "FROM booking_booking b JOIN families_child ch ON ch.id = b.child_id "
        f"LEFT JOIN attendance_attendance a ON a.booking_id = b.id WHERE {where}",
    )


HOUSEHOLD_WARD = "(SELECT municipality_id FROM families_household WHERE id = {household})"
BOOKING_FIELDS = "status, date, facility_id, child_id, billable_minutes, counts_toward_caps"

# (name, table, event, condition or "", statement)
TRIGGERS = [
    ("reports_booking_ins", "booking_booking", "INSERT", "", append(_booking_side("1", "NEW"))),
    (
        "reports_booking_upd",
        "booking_booking",
        f"UPDATE OF {BOOKING_FIELDS}",
        "",
        append(_booking_side("-1", "OLD"), _booking_side("1", "NEW")),
    ),
    ("reports_booking_del", "booking_booking", "DELETE", "", append(_booking_side("-1", "OLD"))),
    (
        "reports_attendance_ins",
        "attendance_attendance",
        "INSERT",
        "",
        append(
            _attendance_side("-1", None, "NEW.booking_id"),
            _attendance_side("1", "NEW", "NEW.booking_id"),
        ),
    ),
    (
        "reports_attendance_upd",
        "attendance_attendance",
        "UPDATE OF status, billable_minutes, booking_id",
        "",
        append(
            _attendance_side("-1", "OLD", "OLD.booking_id"),
            _attendance_side("1", None, "OLD.booking_id"),
            _attendance_side("-1", None, "NEW.booking_id"),
            _attendance_side("1", "NEW", "NEW.booking_id"),
        ),
    ),
    (
        "reports_attendance_del",
        "attendance_attendance",
        "DELETE",
        "",
        append(
            _attendance_side("-1", "OLD", "OLD.booking_id"),
            _attendance_side("1", None, "OLD.booking_id"),
        ),
    ),
    (
        "reports_child_household",
        "families_child",
        "UPDATE OF household_id",
        "OLD.household_id <> NEW.household_id",
        append(
            _moved("-1", HOUSEHOLD_WARD.format(household="OLD.household_id"), "b.child_id = NEW.id"),
            _moved("1", HOUSEHOLD_WARD.format(household="NEW.household_id"), "b.child_id = NEW.id"),
        ),
    ),
    (
        "reports_household_ward",
        "families_household",
        "UPDATE OF municipality_id",
        "OLD.municipality_id <> NEW.municipality_id",
        append(
            _moved("-1", "OLD.municipality_id", "ch.household_id = NEW.id"),
            _moved("1", "NEW.municipality_id", "ch.household_id = NEW.id"),
        ),
    ),
]

#: The figures of the visits already there (an existing site), as changes the fold will take.
BACKFILL = append(
    contribution(
        "1",
        "b",
        "a.status",
        "a.billable_minutes",
        "h.municipality_id",
        "FROM booking_booking b JOIN families_child ch ON ch.id = b.child_id "
        "JOIN families_household h ON h.id = ch.household_id "
        "LEFT JOIN attendance_attendance a ON a.booking_id = b.id",
    )
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, event, condition, statement in TRIGGERS:
        if vendor == "postgresql":
            when = f"WHEN ({condition}) " if condition else ""
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {statement}; RETURN NULL; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}"
                f"EXECUTE FUNCTION {name}()"
            )
        else:
            when = f"WHEN {condition} " if condition else ""
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}"
                f"BEGIN {statement}; END"
            )
    schema_editor.execute(BACKFILL)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, *_ in TRIGGERS:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_visit_figures"),
        ("booking", "0004_regular_use_outcome_and_decline_reason"),
        ("attendance", "0004_recount_billable_minutes"),
        ("families", "0002_proxyinvitation"),
    ]
    operations = [migrations.RunPython(create, drop)]
