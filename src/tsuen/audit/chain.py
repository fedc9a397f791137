"""The hash chain's format: which fields are hashed and how they are serialised.

Both the writer and the verifier call :func:`event_hash`, so the format lives in one place. The
serialisation is JSON with sorted keys and no whitespace, timestamps in UTC with microseconds:
an event read back from either database hashes to exactly what was written.

Format 2 (keyed): the sequencer seals each event with HMAC-SHA256 under the audit key of the
version it records in ``key_version`` (``TSUEN_AUDIT_KEYS``, kept outside the database), and the
version is part of what is signed. Someone who can write the database but does not hold the key
cannot rewrite the chain from a point so that it verifies again. Format 1 (a plain SHA-256, no
key) is what events sealed before keying carry; verification reports a chain that goes back to
it after a keyed event (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

#: Bump when the hashed fields or their serialisation change; old events keep their version.
FORMAT_VERSION = 1
#: The keyed format: the same fields and the key's version, signed with HMAC-SHA256.
KEYED_FORMAT_VERSION = 2
#: The previous-hash of the first event of every chain.
GENESIS_HASH = "0" * 64

#: Every stored column of an event except its id, chain and own hash. The chain identity is the
#: municipality (``None`` for the national chain), so moving an event between chains breaks it.
HASHED_FIELDS = (
    "seq",
    "prev_hash",
    "occurred_at",
    "municipality_id",
    "actor_id",
    "actor_role",
    "actor_municipality_id",
    "source_address",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "field_names",
    "subject_child_ids",
    "subject_guardian_ids",
    "document_sha256",
)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


class UnknownKey(LookupError):
    """An event sealed under a key version that ``TSUEN_AUDIT_KEYS`` does not list."""


def canonical(event: Mapping[str, Any]) -> bytes:
    """The exact bytes that are hashed for an event given as a field → value mapping (with
    ``key_version``: the keyed format; without it, or None: format 1)."""
    payload = {name: _plain(event[name]) for name in HASHED_FIELDS}
    version = event.get("key_version")
    if version is None:
        payload["v"] = FORMAT_VERSION
    else:
        payload["v"], payload["k"] = KEYED_FORMAT_VERSION, version
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    """The event's hash: HMAC-SHA256 under the key of its ``key_version``, or for an event of
    format 1 a plain SHA-256. :class:`UnknownKey` when its key is not listed."""
    data = canonical(event)
    version = event.get("key_version")
    if version is None:
        return hashlib.sha256(data).hexdigest()
    try:
        key = audit_keys()[version]
    except KeyError:
        raise UnknownKey(f"audit key version {version} is not in TSUEN_AUDIT_KEYS") from None
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def audit_keys() -> dict[int, bytes]:
    """The audit chain's keys by version (``settings.AUDIT_KEYS``). Refuses, naming the
    variable, when none is set (outside DEBUG there is no default) or it is malformed."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.DEBUG and settings.AUDIT_KEYS.strip() == settings.DEV_AUDIT_KEYS:
        raise ImproperlyConfigured(
            "TSUEN_AUDIT_KEYS is the public development key from settings.py; production "
            "needs its own (docs/audit.md)"
        )
    return _parsed(settings.AUDIT_KEYS)


def sealing_key_version() -> int:
    """The version new seals use: the highest listed."""
    return max(audit_keys())


@lru_cache(maxsize=8)
def _parsed(spec: str) -> dict[int, bytes]:
    from django.core.exceptions import ImproperlyConfigured

    from tsuen.privacy.crypto import parse_keys

    if not spec.strip():
        raise ImproperlyConfigured(
            "TSUEN_AUDIT_KEYS is not set: sealing and verifying the audit chain need the "
            "chain's own key ('1:<base64 of 32 random bytes>', docs/audit.md)"
        )
    return parse_keys(spec, "TSUEN_AUDIT_KEYS")
