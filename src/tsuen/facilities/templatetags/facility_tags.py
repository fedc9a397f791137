"""Template helpers of the facility pages."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str, *args) -> str:
    """The route's URL, or "" while the route does not exist (another context adds it)."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.filter
def weekday_label(day) -> str:
    from django.utils.dates import WEEKDAYS_ABBR

    return str(WEEKDAYS_ABBR[day.weekday()])
