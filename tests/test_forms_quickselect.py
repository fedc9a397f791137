"""tsuen.core.forms.QuickSelect writes the same markup as Django's select template."""

from __future__ import annotations

import re

import pytest
from django import forms

from tsuen.core.forms import QuickSelect


def _same(html: str) -> str:
    """Markup without the whitespace between tags that Django's templates leave."""
    return re.sub(r">\s+<", "><", html.strip())


CHOICES = [("09:00", "09:00"), ("09:30", "09:30"), ("10:00", '10 <&> "o\'clock"')]
GROUPED = [("Morning", [("a", "A"), ("b", "B")]), ("c", "C")]


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        (CHOICES, "09:30", {"id": "id_start", "aria-invalid": "true"}),
        (CHOICES, None, {"id": "x", "required": True, "disabled": False}),
        (CHOICES, "nowhere", {}),
        (GROUPED, "b", {"class": "wide", "data-x": "1 & 2"}),
        ([], "", {"id": "empty"}),
    ],
)
def test_the_same_markup_as_djangos_select(choices, value, attrs):
    django_select = forms.Select(choices=choices)
    quick = QuickSelect(choices=choices)
    expected = django_select.render("start", value, attrs)
    assert _same(quick.render("start", value, attrs)) == _same(expected)


def test_a_bound_form_field_renders_the_same():
    class Form(forms.Form):
        plain = forms.ChoiceField(choices=CHOICES)
        quick = forms.ChoiceField(choices=CHOICES, widget=QuickSelect)

    form = Form({"plain": "nope", "quick": "nope"})
    assert not form.is_valid()
    plain, quick = str(form["plain"]), str(form["quick"])
    assert 'aria-invalid="true"' in quick
    assert _same(quick) == _same(plain).replace("plain", "quick")
