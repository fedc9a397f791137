from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def whole_minutes(value) -> int:
    """A timedelta (or a number of seconds) as whole minutes, at least one."""
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value or 0)
    return max(1, round(seconds / 60))
