"""Template helpers of the facility pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def weekday_label(day) -> str:
    from django.utils.dates import WEEKDAYS_ABBR

    return str(WEEKDAYS_ABBR[day.weekday()])
