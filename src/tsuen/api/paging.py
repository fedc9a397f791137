"""Opaque cursors for lists, and ETags for reads and conditional writes (docs/api.md).

A cursor is a signed token of where the next page starts (the last id seen and what the list
was asked for): the client passes it back unchanged as ``cursor``; one that was altered, or
belongs to another list, answers 422. An ETag is a strong validator of the representation; a
write that overwrites needs ``If-Match`` with the current one (412 when stale or ``*``, 428
when missing).
"""

from __future__ import annotations

import hashlib
import json

from django.core import signing
from django.utils.translation import gettext as _

from tsuen.api.problems import ApiError

SALT = "tsuen.api.cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def make_cursor(kind: str, after: int, **asked) -> str:
    return signing.dumps({"k": kind, "a": after, "q": asked}, salt=SALT, compress=True)


def read_cursor(cursor: str | None, kind: str, **asked) -> int:
    """The last id of the previous page (0 for the first page)."""
    if not cursor:
        return 0
    try:
        value = signing.loads(cursor, salt=SALT)
    except signing.BadSignature:
        value = None
    if (
        not isinstance(value, dict)
        or value.get("k") != kind
        or value.get("q") != asked
        or not isinstance(value.get("a"), int)
    ):
        raise ApiError(
            422,
            _("This cursor is not valid for this list: start again without it."),
            errors=[{"field": "cursor", "message": _("Not a valid cursor."), "code": "invalid"}],
        )
    return value["a"]


def page(rows: list, limit: int, kind: str, key=lambda row: row.pk, **asked):
    """(the first ``limit`` rows, the cursor of the next page or None)."""
    shown = rows[:limit]
    more = len(rows) > limit
    return shown, (make_cursor(kind, key(shown[-1]), **asked) if more and shown else None)


def etag_of(value) -> str:
    """A strong ETag of a JSON-able value."""
    body = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode()
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def require_match(if_match: str | None, current: str) -> None:
    """Refuse a write whose ``If-Match`` is missing (428) or is not ``current`` (412)."""
    if not if_match:
        raise ApiError(
            428,
            _("This write needs If-Match with the ETag of the object as last read."),
        )
    given = [tag.strip() for tag in if_match.split(",")]
    if current not in given:
        raise ApiError(
            412,
            _("The object changed since it was read: read it again, then write."),
            headers={"ETag": current},
        )
