"""CSV cells for files opened in Excel: formula-safe, quoted only where needed, CRLF lines.

Files are written as UTF-8 with a byte-order mark (``BOM``) first, so that Excel in Japan reads
them as UTF-8 rather than Shift_JIS.
"""

from __future__ import annotations

from collections.abc import Iterable

BOM = "\ufeff"


def formula_safe(text: str) -> str:
    """Text a spreadsheet will never run as a formula (a leading quote before = + - @ tab CR)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_cell(value) -> str:
    text = formula_safe(str(value))
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def csv_row(values: Iterable) -> str:
    return ",".join(csv_cell(v) for v in values) + "\r\n"
