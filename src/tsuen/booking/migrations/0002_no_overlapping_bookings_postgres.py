"""PostgreSQL only: a child can never hold two overlapping live bookings.

The booking service checks this first and answers with a clear message; this GiST exclusion
constraint is the last wall if two requests race. SQLite has no exclusion constraints, and
there the booking service's check (under SQLite's whole-database write lock) is the wall.
"""

from django.db import migrations

CONSTRAINT = "booking_child_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE booking_booking ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (child_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status = 'confirmed')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]
    operations = [migrations.RunPython(add_constraint, drop_constraint)]
