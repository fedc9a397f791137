"""The hash chain's format: which fields are hashed and how they are serialised.

Both the writer and the verifier call :func:`event_hash`, so the format lives in one place. The
serialisation is JSON with sorted keys and no whitespace, timestamps in UTC with microseconds:
an event read back from either database hashes to exactly what was written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Bump when the hashed fields or their serialisation change; old events keep their version.
FORMAT_VERSION = 1
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


def canonical(event: Mapping[str, Any]) -> bytes:
    """The exact bytes that are hashed for an event given as a field → value mapping."""
    payload = {name: _plain(event[name]) for name in HASHED_FIELDS}
    payload["v"] = FORMAT_VERSION
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()
