"""The navigation (the staff desks' and the family's) marks the page being shown
(``aria-current="page"``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context, *view_names: str) -> str:
    """`` aria-current="page"`` when the request's view is one of ``view_names``, else ``""``.

    Use inside a navigation link: ``<a href="..."{% current 'app:name' %}>``."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in view_names:
        return mark_safe(' aria-current="page"')  # nosec B308: a constant string
    return ""
