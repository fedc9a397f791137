"""The backup key: ``TSUEN_BACKUP_KEY`` (setting ``BACKUP_KEY``), separate from the field keys.

One key, 32 random bytes in standard base64. It encrypts every backup file (see
:mod:`tsuen.backups.container`) and must never equal one of the field keys
(``TSUEN_FIELD_KEYS``): a backup holds the field-encrypted columns, and one stolen key must not
open both layers. Only the machines that make or restore backups need it; the web servers do
not, so it is checked by the backup commands (fail closed: outside DEBUG a missing, malformed or
public development key stops the command before anything is read or written), not at start-up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from django.conf import settings

from tsuen.privacy.crypto import parse_keys

KEY_BYTES = 32
#: Public on purpose (it is in this repository): accepted only with DEBUG on.
DEV_BACKUP_KEY = base64.b64encode(b"dev-only-backup-key-not-for-prod").decode("ascii")


class BackupKeyError(Exception):
    """The backup key is missing, malformed or not allowed here. Never carries the key."""


def backup_key() -> bytes:
    """The configured backup key, or :class:`BackupKeyError` saying why there is none."""
    value = (getattr(settings, "BACKUP_KEY", "") or "").strip()
    if not value:
        if settings.DEBUG:
            value = DEV_BACKUP_KEY
        else:
            raise BackupKeyError(
                "TSUEN_BACKUP_KEY is not set: backups are made and restored only with the "
                "operator's own backup key (docs/backups.md, Keys)."
            )
    if value == DEV_BACKUP_KEY and not settings.DEBUG:
        raise BackupKeyError(
            "TSUEN_BACKUP_KEY is the public development key from this repository; production "
            "needs its own (docs/backups.md, Keys)."
        )
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BackupKeyError("TSUEN_BACKUP_KEY is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise BackupKeyError("TSUEN_BACKUP_KEY is not 32 bytes (base64 of 32 random bytes).")
    try:
        field_keys = parse_keys(settings.FIELD_ENCRYPTION_KEYS).values()
    except Exception:  # a malformed field key is reported by tsuen.privacy, not here
        field_keys = ()
    if any(hmac.compare_digest(key, field_key) for field_key in field_keys):
        raise BackupKeyError(
            "TSUEN_BACKUP_KEY equals one of the field keys (TSUEN_FIELD_KEYS): the backup key "
            "must be a key of its own."
        )
    return key


def key_id(key: bytes) -> bytes:
    """Eight bytes that tell which key made a backup, without revealing the key."""
    return hmac.new(key, b"tsuen backup key id", hashlib.sha256).digest()[:8]


def generate_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")
