"""Field encryption: AES-256-GCM with numbered key versions.

A stored value reads ``v<version>:<base64(nonce || ciphertext+tag)>``. The newest configured
version encrypts; every configured version decrypts, so keys can be rotated without downtime
(``manage.py rotate_field_keys`` re-encrypts rows still under an old version). The ciphertext is
bound to its column (associated data ``app_label.Model.field``) so that a value copied into
another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A stored value could not be decrypted (unknown key version, tampering, wrong column)."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[int, bytes]

    @property
    def current_version(self) -> int:
        return max(self.keys)

    def encrypt(self, plaintext: bytes, context: str) -> str:
        version = self.current_version
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[version]).encrypt(nonce, plaintext, context.encode())
        return f"v{version}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str, context: str) -> bytes:
        version = version_of(stored)
        key = self.keys.get(version)
        if key is None:
            raise DecryptionError(f"no key for version {version}")
        try:
            blob = base64.b64decode(stored.split(":", 1)[1], validate=True)
            return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except (binascii.Error, ValueError, IndexError) as exc:
            raise DecryptionError("malformed ciphertext") from exc
        except Exception as exc:  # cryptography's InvalidTag
            raise DecryptionError("ciphertext does not authenticate") from exc


def version_of(stored: str) -> int:
    prefix, sep, _ = stored.partition(":")
    if not sep or not prefix.startswith("v") or not prefix[1:].isdigit():
        raise DecryptionError("value is not an encrypted field value")
    return int(prefix[1:])


def parse_keys(spec: str) -> dict[int, bytes]:
    """``"1:<base64>,2:<base64>"`` -> {1: key, 2: key}; each key must be 32 bytes."""
    keys: dict[int, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        version, sep, encoded = item.partition(":")
        if not sep or not version.isdigit():
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: expected 'version:base64key'")
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: key {version} is not 32 bytes")
        keys[int(version)] = key
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return keys


@cache
def _keyring_for(spec: str) -> Keyring:
    return Keyring(parse_keys(spec))


def keyring() -> Keyring:
    return _keyring_for(settings.FIELD_ENCRYPTION_KEYS)


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")
