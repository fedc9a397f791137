"""A file's bytes at rest: encrypted with the field keyring, bound to the file's identity.

The associated data of each ciphertext (:func:`binding`) names the :class:`StoredFile` row it
belongs to and what the row says about it (owner, purpose, type, size, hash). AES-GCM then
refuses to decrypt bytes that were moved to another row, and bytes whose row was edited to
point at another family or to become a public facility photo. After decryption the SHA-256 is
compared with the row's as well.

``manage.py rotate_field_keys`` re-encrypts blobs under an old key version through
:func:`rotate_blobs` (registered in ``FilesConfig.ready``), one file per transaction.
"""

from __future__ import annotations

import hashlib
import json

from django.db import DEFAULT_DB_ALIAS, transaction

from tsuen.files.models import StoredFile, StoredFileBlob
from tsuen.privacy.crypto import DecryptionError, keyring


class BlobUnreadable(DecryptionError):
    """The stored bytes do not belong to this file (moved, edited) or are missing."""


def binding(stored: StoredFile) -> str:
    """The associated data that ties a ciphertext to its row."""
    identity = [
        stored.pk,
        stored.municipality_id,
        stored.household_id,
        stored.child_id,
        stored.facility_id,
        stored.purpose,
        stored.content_type,
        stored.size,
        stored.sha256,
    ]
    return "files.StoredFileBlob:" + json.dumps(identity, separators=(",", ":"))


def seal(stored: StoredFile, data: bytes) -> StoredFileBlob:
    """An unsaved blob holding ``data`` encrypted for ``stored`` (which must have its pk)."""
    if stored.pk is None:
        raise ValueError("the file's row must be saved first: its id is part of the binding")
    version, ciphertext = keyring().encrypt_bytes(data, binding(stored))
    return StoredFileBlob(file=stored, key_version=version, ciphertext=ciphertext)


def unseal(stored: StoredFile, blob: StoredFileBlob) -> bytes:
    """The plaintext of ``blob`` as ``stored``'s content; :class:`BlobUnreadable` otherwise."""
    try:
        data = keyring().decrypt_bytes(blob.key_version, bytes(blob.ciphertext), binding(stored))
    except DecryptionError as exc:
        raise BlobUnreadable(str(exc)) from exc
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise BlobUnreadable("content does not match the file's recorded SHA-256")
    return data


def read(stored: StoredFile) -> bytes:
    try:
        blob = StoredFileBlob._base_manager.get(file_id=stored.pk)
    except StoredFileBlob.DoesNotExist:
        raise BlobUnreadable("the file has no stored content") from None
    return unseal(stored, blob)


def rotate_blobs(*, batch_size: int = 500, dry_run: bool = False, using=DEFAULT_DB_ALIAS):
    """``rotate_field_keys`` hook: re-encrypt blobs under an old key version.

    Files are large, so each is rotated in its own transaction, locked, and written only if it
    is still the ciphertext that was read (``batch_size`` does not apply)."""
    from tsuen.privacy.rotation import RotationReport

    report = RotationReport("files.StoredFileBlob.ciphertext (uploaded files)")
    ring = keyring()
    blobs = StoredFileBlob._base_manager.using(using)
    files = StoredFile._base_manager.using(using)
    report.current = blobs.filter(key_version=ring.current_version).count()
    stale = blobs.exclude(key_version=ring.current_version)
    for pk in stale.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic(using=using):
            locked = stale.filter(pk=pk)
            blob = (locked if dry_run else locked.select_for_update()).first()
            if blob is None:  # rotated or deleted meanwhile
                report.changed_meanwhile += 1
                continue
            try:
                stored = files.get(pk=pk)
                data = unseal(stored, blob)
            except (DecryptionError, StoredFile.DoesNotExist) as exc:
                report.failures.append((pk, str(exc)))
                continue
            if not dry_run:
                version, ciphertext = ring.encrypt_bytes(data, binding(stored))
                locked.filter(key_version=blob.key_version).update(
                    key_version=version, ciphertext=ciphertext
                )
            report.rotated += 1
            report.from_versions[blob.key_version] += 1
    return report
