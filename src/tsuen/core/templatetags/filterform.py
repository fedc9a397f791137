"""A list page's filters, folded behind one button on a phone (``_filter_form.html``)."""

from __future__ import annotations

from django import forms, template

register = template.Library()


@register.filter
def filters_set(form: forms.Form) -> int:
    """How many of the (GET) filter form's fields the request fills: 0 for an unbound form, and
    for a box left unticked or an "all" choice (the empty value)."""
    if not form.is_bound:
        return 0
    return sum(1 for field in form if field.value() not in (None, "", False, [], ()))
