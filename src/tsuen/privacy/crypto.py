"""Field encryption: AES-256-GCM with numbered key versions.

A stored value reads ``v<version>:<base64(nonce || ciphertext+tag)>``. The newest configured
version encrypts; every configured version decrypts, so keys can be rotated without downtime
(``manage.py rotate_field_keys`` re-encrypts rows still under an old version). The ciphertext is
bound to its column (associated data ``app_label.Model.field``) so that a value copied into
another column does not decrypt.

Each encryption draws a fresh random 96-bit nonce. NIST SP 800-38D allows 2**32 encryptions per
key with random nonces; a ward's data stays many orders of magnitude below that, and rotation
resets the count. docs/encryption.md describes the key format and the rotation procedure.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32

_STORED = re.compile(r"v([0-9]{1,9}):")
_VERSION = re.compile(r"[0-9]{1,9}")


class DecryptionError(ValueError):
    """A stored value could not be decrypted (unknown key version, tampering, wrong column)."""


@dataclass(frozen=True)
class Keyring:
    """The configured keys by version. ``repr`` never shows key material."""

    keys: dict[int, bytes] = field(repr=False)
    _ciphers: dict[int, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
        object.__setattr__(self, "_ciphers", {v: AESGCM(k) for v, k in self.keys.items()})

    def __repr__(self) -> str:
        return f"Keyring(versions={sorted(self.keys)})"

    @property
    def current_version(self) -> int:
        return max(self.keys)

    @property
    def versions(self) -> list[int]:
        return sorted(self.keys)

    def encrypt(self, plaintext: bytes, context: str) -> str:
        version = self.current_version
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[version].encrypt(nonce, plaintext, context.encode("utf-8"))
        return f"v{version}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str, context: str) -> bytes:
        version = version_of(stored)
        cipher = self._ciphers.get(version)
        if cipher is None:
            raise DecryptionError(f"no key configured for version {version}")
        try:
            blob = base64.b64decode(stored.split(":", 1)[1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptionError("malformed ciphertext") from exc
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("malformed ciphertext")
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise DecryptionError(
                "ciphertext does not authenticate (tampered, or copied from another column)"
            ) from exc

    def reencrypt(self, stored: str, context: str) -> str:
        """Decrypt under whatever version ``stored`` names; encrypt under the current one."""
        return self.encrypt(self.decrypt(stored, context), context)

    # Binary values (uploaded files): the caller keeps the key version in a column of its own,
    # and the sealed bytes are ``nonce || ciphertext+tag`` without base64's third more.

    def encrypt_bytes(self, plaintext: bytes, context: str) -> tuple[int, bytes]:
        """(key version, sealed bytes) under the current version."""
        version = self.current_version
        nonce = os.urandom(NONCE_BYTES)
        return version, nonce + self._ciphers[version].encrypt(
            nonce, plaintext, context.encode("utf-8")
        )

    def decrypt_bytes(self, version: int, sealed: bytes, context: str) -> bytes:
        cipher = self._ciphers.get(version)
        if cipher is None:
            raise DecryptionError(f"no key configured for version {version}")
        if len(sealed) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("malformed ciphertext")
        try:
            return cipher.decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode("utf-8")
            )
        except InvalidTag as exc:
            raise DecryptionError(
                "ciphertext does not authenticate (tampered, or belongs to another record)"
            ) from exc


def version_of(stored: str) -> int:
    """The key version of a stored value; :class:`DecryptionError` if it is not one."""
    match = _STORED.match(stored) if isinstance(stored, str) else None
    if match is None:
        raise DecryptionError("value is not an encrypted field value")
    return int(match.group(1))


def parse_keys(spec: str, name: str = "FIELD_ENCRYPTION_KEYS") -> dict[int, bytes]:
    """``"1:<base64>,2:<base64>"`` -> {1: key, 2: key}; each key must be 32 bytes.

    Error messages name the setting (``name``) and the version, never the key.
    """
    keys: dict[int, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        version_text, sep, encoded = item.partition(":")
        version_text = version_text.strip()
        if not sep or not _VERSION.fullmatch(version_text):
            raise ImproperlyConfigured(f"{name}: expected 'version:base64key'")
        version = int(version_text)
        if version < 1:
            raise ImproperlyConfigured(f"{name}: versions start at 1")
        if version in keys:
            raise ImproperlyConfigured(f"{name}: version {version} listed twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"{name}: key {version} is not valid base64") from exc
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"{name}: key {version} is not 32 bytes")
        if key in keys.values():
            raise ImproperlyConfigured(f"{name}: key {version} repeats another version's key")
        keys[version] = key
    if not keys:
        raise ImproperlyConfigured(f"{name} is empty")
    return keys


@lru_cache(maxsize=16)
def _keyring_for(spec: str) -> Keyring:
    return Keyring(parse_keys(spec))


def keyring() -> Keyring:
    """The keyring for the current ``settings.FIELD_ENCRYPTION_KEYS`` (cached per value)."""
    return _keyring_for(settings.FIELD_ENCRYPTION_KEYS)


def generate_key() -> str:
    """A fresh random 256-bit key, base64-encoded (the part after ``version:``)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")
