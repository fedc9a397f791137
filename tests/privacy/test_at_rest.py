"""SECURITY.md item 11: the raw database column of every S-class field holds no plaintext."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection

from tests.privacy.conftest import raw, reread
from tests.privacy.samples import S_VALUES, make_rows
from tsuen.privacy.fields import (
    EncryptedBooleanField,
    EncryptedField,
    EncryptedIntegerField,
    EncryptedJSONField,
)
from tsuen.privacy.rotation import encrypted_fields

pytestmark = pytest.mark.django_db

STORED = re.compile(r"v1:[A-Za-z0-9+/]+=*")


@pytest.mark.parametrize(
    ("label", "name", "value", "needles"),
    S_VALUES,
    ids=[f"{label}.{name}" for label, name, _, _ in S_VALUES],
)
def test_raw_column_holds_ciphertext_only(label, name, value, needles):
    obj = make_rows()[label, name]
    stored = raw(obj, name)
    assert STORED.fullmatch(stored), stored[:12]
    for needle in [*needles, str(value)]:
        assert needle not in stored
    assert getattr(reread(obj), name) == value


def test_the_sample_table_names_real_encrypted_fields():
    for label, name, _, _ in S_VALUES:
        assert isinstance(apps.get_model(label)._meta.get_field(name), EncryptedField)


@pytest.mark.parametrize(
    ("model", "field"),
    list(encrypted_fields()),
    ids=[field.crypto_context for _, field in encrypted_fields()],
)
def test_every_encrypted_column_stores_no_plaintext(model, field):
    """Also covers encrypted fields added after this file was written (no row needed)."""
    if isinstance(field, EncryptedBooleanField):
        sample = True
        needles = ["true"]
    elif isinstance(field, EncryptedIntegerField):
        sample = 2500
        needles = ["2500"]
    elif isinstance(field, EncryptedJSONField):
        sample = ["秘密の値", {"key": "secret-value"}]
        needles = ["秘密", "secret-value"]
    else:
        sample = "秘密の値 secret-value"
        needles = ["秘密", "secret-value"]
    stored = field.get_db_prep_save(sample, connection)
    assert STORED.fullmatch(stored)
    assert not any(needle in stored for needle in needles)
    assert field.from_db_value(stored, None, connection) == sample
