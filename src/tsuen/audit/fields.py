"""A JSON list of person ids that can be searched for one id on both supported databases.

"All events for child X" must be cheap: on PostgreSQL the ``has_id`` lookup is a jsonb
containment (``@>``) served by a GIN index (installed by migration 0002); SQLite has no such
index, so there it scans with ``json_each``, which is fine for the embedded database's size.
"""

from __future__ import annotations

import json

from django.db import NotSupportedError, models


class PersonIdsField(models.JSONField):
    """A sorted JSON list of integer ids of people (children or guardians)."""


@PersonIdsField.register_lookup
class HasId(models.Lookup):
    """``subject_child_ids__has_id=42``: the list contains the id 42."""

    lookup_name = "has_id"
    prepare_rhs = False

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", (*lhs_params, json.dumps([int(self.rhs)]))

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # lhs is the column as compiled by Django; the id goes in as a parameter (S608/B608).
        sql = f"EXISTS (SELECT 1 FROM json_each({lhs}) AS person WHERE person.value = %s)"  # noqa: S608  # nosec B608
        return sql, (*lhs_params, int(self.rhs))

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"has_id is not implemented for {connection.vendor}")
