"""Template helpers: dates with 和暦 beside the western year."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

from tsuen.core.wareki import wareki, wareki_year

register = template.Library()


@register.filter
def date_jp(value: dt.date | dt.datetime | None) -> str:
    """'2026年11月26日（令和8年）' in Japanese; the English date with (令和8年) in English."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # An aware moment is dated where the user is (JST), not in UTC as stored.
        day = (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    else:
        day = value
    if (get_language() or "ja").startswith("ja"):
        return f"{day.year}年{day.month}月{day.day}日（{wareki_year(day)}）"
    return f"{formats.date_format(day, 'DATE_FORMAT')} ({wareki_year(day)})"


@register.filter(name="wareki")
def wareki_filter(value: dt.date | None) -> str:
    return "" if value is None else wareki(value)


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (None when missing)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def yen(amount) -> str:
    """Whole yen with thousands separators (72850 -> 72,850), as finance staff read them."""
    return f"{int(amount):,}" if amount not in (None, "") else ""
