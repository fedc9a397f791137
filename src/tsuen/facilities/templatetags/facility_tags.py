"""Template helpers of the facility pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def weekday_label(day) -> str:
    from django.utils.dates import WEEKDAYS_ABBR

    return str(WEEKDAYS_ABBR[day.weekday()])


@register.filter
def iso_weekday_label(number: int) -> str:
    """1 (Monday) .. 7 (Sunday) as the short weekday name of the current language."""
    from django.utils.dates import WEEKDAYS_ABBR

    return str(WEEKDAYS_ABBR[int(number) - 1])
