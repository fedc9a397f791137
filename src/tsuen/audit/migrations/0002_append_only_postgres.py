"""PostgreSQL only: audit events cannot be updated or deleted, and person lookups are indexed.

The trigger refuses UPDATE and DELETE on audit rows for every database user, including code
that bypasses the model. Someone who can disable triggers (the table owner, a superuser) can
still tamper; that is what the hash chain detects. TRUNCATE fires no row trigger (Django's test
flush relies on it); a truncated log shows as a mismatch against the chain heads.

GIN indexes (jsonb_path_ops) make "all events for child X" (``subject_child_ids @> '[X]'``) an
index lookup. SQLite has neither; there the model refuses edits and lookups scan.
"""

from django.db import migrations

TABLE = "audit_auditevent"
FUNCTION = "tsuen_audit_event_append_only"
TRIGGER = "audit_event_append_only"
GIN_INDEXES = {
    "audit_event_children_gin": "subject_child_ids",
    "audit_event_guardians_gin": "subject_guardian_ids",
}


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """,
        params=None,  # the body's % is plpgsql's, not a query placeholder
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    for name, column in GIN_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX {name} ON {TABLE} USING gin ({column} jsonb_path_ops)"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in GIN_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
