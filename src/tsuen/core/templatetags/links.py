"""``{% url %}`` with its answers remembered: a template builtin (settings.TEMPLATES) that takes
the place of Django's tag, with the same syntax and the same URLs.

Django reverses a URL afresh each time a page names it (namespaces, the resolver's patterns, the
arguments' converters): about ten microseconds a link, and the site's frame alone names four on
every page (bench/rush_instructions.py counts the booking confirm's). A URL is a pure function of
the URLconf in force, the script prefix, the language (for translated patterns), the current
application namespace, the name and the arguments, so the answer for the same of all these is
kept (:func:`reverse`, a bounded LRU). Only arguments that are plain ``int`` or ``str`` are kept:
any other value (a model instance, whose text may change) is reversed as Django does.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaulttags
from django.urls import get_resolver, get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()


def _plain(value) -> bool:
    """An int (not a bool: True would share 1's answer) or a str (a template's literals are
    SafeStrings)."""
    return type(value) is int or isinstance(value, str)


@lru_cache(maxsize=4096)
def _reversed(_resolver, _prefix, _language, view_name, args, kwargs, current_app) -> str:
    return django_reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


def reverse(view_name: str, args=(), kwargs=None, current_app: str | None = None) -> str:
    """``django.urls.reverse`` of a name with plain arguments, remembered; others as Django."""
    kwargs = kwargs or {}
    if not (all(map(_plain, args)) and all(map(_plain, kwargs.values()))):
        return django_reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _reversed(
        get_resolver(get_urlconf()),
        get_script_prefix(),
        get_language(),
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
    )


@receiver(setting_changed)
def _forget(*, setting, **_kwargs) -> None:
    """A test that changes the URLconf or the script name gets new answers (the resolver in the
    key changes with the URLconf too; this also frees the old ones)."""
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reversed.cache_clear()


class URLNode(defaulttags.URLNode):
    def render(self, context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        if self.asvar or not isinstance(view_name, str):
            return super().render(context)  # "as" swallows a missing URL: Django's own way
        try:  # as Django's tag finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = reverse(str(view_name), args, kwargs, current_app)
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> URLNode:
    """Django's ``{% url %}`` (same arguments), its answers remembered."""
    node = defaulttags.url(parser, token)
    return URLNode(node.view_name, node.args, node.kwargs, node.asvar)
