"""The navigation (the staff desks' and the family's) marks the page being shown
(``aria-current="page"``), and is rendered once per kind of page, then kept."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

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


class _Reader:
    """What ``nav/sections.html`` may read of the user: the role and the ward (the role tests
    follow from the role). Anything else it read would be missing, and the tests see it."""

    is_authenticated = True

    def __init__(self, role: str, municipality_id: int | None):
        from tsuen.accounts.models import FACILITY_ROLES, FAMILY_ROLES

        self.role, self.municipality_id = role, municipality_id
        self.is_family, self.is_facility = role in FAMILY_ROLES, role in FACILITY_ROLES


class _Page:
    def __init__(self, view_name: str | None):
        self.resolver_match = type("Match", (), {"view_name": view_name})()


@lru_cache(maxsize=4096)
def _sections(role: str, municipality_id, language: str, view_name, prefix: str) -> str:
    return render_to_string(
        "nav/sections.html", {"user": _Reader(role, municipality_id), "request": _Page(view_name)}
    )


@register.simple_tag(takes_context=True)
def sections(context) -> str:
    """The sections navigation of the signed-in user's role (``nav/sections.html``): the same
    for every user of a role and ward, in a language, on a page, so it is rendered once for
    each and kept (a family's page, a refused booking at the 09:00 rush among them, no longer
    reverses and translates its dozen links every time)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    match = getattr(context.get("request"), "resolver_match", None)
    return _sections(
        user.role,
        user.municipality_id,
        get_language(),
        match.view_name if match is not None else None,
        get_script_prefix(),
    )
