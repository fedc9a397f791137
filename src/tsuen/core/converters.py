"""URL converters.

``<id:name>`` is a row id in a path: 1 to 18 digits, so that it always fits a 64-bit key. A
longer number matches no route (404) instead of reaching a lookup that overflows (SQLite raises
on integers beyond 64 bits; a lookup through a foreign key is not guarded by Django).
"""

from __future__ import annotations


class RowIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
