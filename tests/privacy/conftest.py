"""Privacy tests run under fixed test keys, whatever TSUEN_FIELD_KEYS says in the environment."""

from __future__ import annotations

import base64

import pytest
from django.db import connection

KEY1 = "1:" + base64.b64encode(b"tsuen-test-field-key-version-01!").decode()
KEY2 = "2:" + base64.b64encode(b"tsuen-test-field-key-version-02!").decode()
KEY3 = "3:" + base64.b64encode(b"tsuen-test-field-key-version-03!").decode()


@pytest.fixture(autouse=True)
def _field_keys_v1(settings):
    settings.FIELD_ENCRYPTION_KEYS = KEY1


def raw(obj, field_name: str):
    """The column value exactly as stored, read past the ORM."""
    meta = obj._meta
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn(meta.get_field(field_name).column)} FROM {qn(meta.db_table)} "  # noqa: S608
        f"WHERE {qn(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [obj.pk])
        return cursor.fetchone()[0]


def write_raw(obj, field_name: str, value) -> None:
    """Overwrite a column past the ORM (tampering, copying between columns)."""
    meta = obj._meta
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {qn(meta.get_field(field_name).column)} = %s "  # noqa: S608
        f"WHERE {qn(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, obj.pk])


def reread(obj):
    """A fresh copy of the row through the base manager (no tenant scope needed)."""
    return type(obj)._base_manager.get(pk=obj.pk)
