"""The backup key: its own, well-formed, and refused outside DEBUG when missing or public."""

from __future__ import annotations

import base64
import os

import pytest

from tsuen.backups.keys import DEV_BACKUP_KEY, BackupKeyError, backup_key, key_id


def test_a_configured_key_is_used(settings):
    key = os.urandom(32)
    settings.BACKUP_KEY = base64.b64encode(key).decode()
    assert backup_key() == key


@pytest.mark.parametrize("value", ["", "   "])
def test_outside_debug_a_missing_key_refuses(settings, value):
    settings.DEBUG, settings.BACKUP_KEY = False, value
    with pytest.raises(BackupKeyError, match="TSUEN_BACKUP_KEY is not set"):
        backup_key()


def test_outside_debug_the_public_development_key_refuses(settings):
    settings.DEBUG, settings.BACKUP_KEY = False, DEV_BACKUP_KEY
    with pytest.raises(BackupKeyError, match="public development key"):
        backup_key()


def test_debug_falls_back_to_the_development_key(settings):
    settings.DEBUG, settings.BACKUP_KEY = True, ""
    assert backup_key() == base64.b64decode(DEV_BACKUP_KEY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(os.urandom(16)).decode(), "not 32 bytes"),
    ],
)
def test_a_malformed_key_refuses_without_showing_it(settings, value, reason):
    settings.BACKUP_KEY = value
    with pytest.raises(BackupKeyError, match=reason) as refused:
        backup_key()
    assert value not in str(refused.value)


def test_a_field_key_cannot_be_the_backup_key(settings):
    field_key = settings.FIELD_ENCRYPTION_KEYS.split(",")[-1].split(":", 1)[1]
    settings.BACKUP_KEY = field_key
    with pytest.raises(BackupKeyError, match="equals one of the field keys") as refused:
        backup_key()
    assert field_key not in str(refused.value)


def test_the_key_id_tells_keys_apart_without_revealing_them():
    a, b = os.urandom(32), os.urandom(32)
    assert key_id(a) == key_id(a) != key_id(b)
    assert len(key_id(a)) == 8 and key_id(a) not in a
