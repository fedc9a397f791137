"""Form pieces every context uses."""

from __future__ import annotations

from django import forms
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
