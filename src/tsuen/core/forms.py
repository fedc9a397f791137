"""Form pieces every context uses."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

#: The empty choice of every select, in words (Django's own is "- Select an option -" or
#: "---------"); installed as Django's ``BLANK_CHOICE_LABEL`` by ``CoreConfig.ready``.
BLANK_LABEL = _("Choose…")

#: The largest id a 64-bit primary key holds. An id typed or posted beyond it is junk: asking
#: the database for it would overflow (SQLite) instead of finding nothing.
ROW_ID_MAX = 2**63 - 1


class RowIdField(forms.IntegerField):
    """The id of a row, posted by a button or typed in a search."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ROW_ID_MAX)
        super().__init__(**kwargs)


class QuickSelect(forms.Select):
    """A select rendered in Python, for hot pages: Django renders each option through its own
    template include (the booking form's two time selects took about a third of the refused
    booking page's rendering in the booking rush; the facility search form's lists most of its
    page: bench/). The same markup as Django's select template (tests/test_forms_quickselect.py
    compares them), the same attributes and option groups."""

    @staticmethod
    def _attrs(attrs: dict):
        """Django's ``attrs.html``: in order, ``False`` left out, ``True`` a bare name."""
        return format_html_join(
            "",
            "{}",
            (
                (format_html(" {}", n) if v is True else format_html(' {}="{}"', n, str(v)),)
                for n, v in attrs.items()
                if v is not False
            ),
        )

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((str(o["value"]), self._attrs(o["attrs"]), o["label"]) for o in options),
            )
            if group_name:
                rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
            parts.append(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            self._attrs(widget["attrs"]),
            format_html_join("", "{}", ((part,) for part in parts)),  # each part is safe
        )
