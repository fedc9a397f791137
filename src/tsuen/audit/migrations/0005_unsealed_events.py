"""Events are appended unsealed and sealed later by the sequencer (tsuen.audit.sequencer).

``chain``, ``seq``, ``prev_hash`` and ``hash`` become nullable: a request appends its events in
its own transaction without a chain position, and the sequencer fills them in. On PostgreSQL the
append-only trigger of 0002 is narrowed to let exactly that one change through: an UPDATE of a
row whose chain columns were all NULL, which sets all four and changes no other column. Every
other UPDATE, and every DELETE, is still refused.
"""

import django.db.models.deletion
from django.db import migrations, models


FUNCTION = "tsuen_audit_event_append_only"

# The seal: all four chain columns from NULL to a value, every other column as it was.
SEALING_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
        AND OLD.chain_id IS NULL
        AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
        AND NEW.chain_id IS NOT NULL
        AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash' - 'chain_id')
            = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash' - 'chain_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

# 0002's: refuse every UPDATE and DELETE.
REFUSING_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def allow_sealing(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEALING_FUNCTION, params=None)


def refuse_every_update(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSING_FUNCTION, params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_malware_found_action'),
        ('municipalities', '0005_western_years_and_service_name'),
    ]

    operations = [
        migrations.RunPython(allow_sealing, refuse_every_update),
        migrations.AlterField(
            model_name='auditevent',
            name='chain',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='audit.auditchainhead'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='sequence number in the chain'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['municipality', 'id'], name='audit_event_unsealed'),
        ),
    ]
