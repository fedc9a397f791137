"""Template helpers: dates in the language's one style (``core.dates``), yen."""

from __future__ import annotations

import datetime as dt

from django import template

from tsuen.core import dates
from tsuen.core.wareki import wareki

register = template.Library()


@register.filter
def date_jp(value: dt.date | dt.datetime | None, weekday: str = "") -> str:
    """The date in the language's one style (``core.dates``): 令和8年12月3日 (or 2026年12月3日 where
    the ward chose western years), "3 Dec 2026" in English. ``date_jp:"D"`` adds the weekday."""
    return dates.date_text(value, weekday=bool(weekday))


@register.filter
def month_jp(value, month=None) -> str:
    """The month: 令和8年12月 / 2026年12月 / December 2026. Of a date, or of a year and a month
    (``{{ claim.year|month_jp:claim.month }}``)."""
    if month not in (None, "") and value not in (None, ""):
        value = dt.date(int(value), int(month), 1)
    return dates.month_text(value)


@register.filter
def datetime_jp(value: dt.datetime | None) -> str:
    """Date and local time: 令和8年12月3日 14:05 / 3 Dec 2026 14:05."""
    return dates.datetime_text(value)


@register.filter(name="wareki")
def wareki_filter(value: dt.date | None) -> str:
    """Always in era years (documents that must read 和暦 whatever the ward's screen style)."""
    return "" if value is None else wareki(value)


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (None when missing)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def yen(amount) -> str:
    """Whole yen with thousands separators (72850 -> 72,850), as finance staff read them."""
    return f"{int(amount):,}" if amount not in (None, "") else ""


@register.simple_tag
def fields(*mappings, **values) -> dict:
    """Name/value pairs for hidden inputs (``{% fields date=d reason=r as hidden %}``), e.g. for
    ``_confirm_form.html``; dicts given first are merged in (names a keyword cannot spell)."""
    merged: dict = {}
    for mapping in mappings:
        merged.update(mapping or {})
    merged.update(values)
    return merged
