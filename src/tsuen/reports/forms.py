"""The dashboard's choices: which month's use per facility, sorted by which column."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

SORT_CHOICES = [
    ("name", _("Facility")),
    ("visits", _("Attended visits")),
    ("booked", _("Booked child-hours")),
    ("attended", _("Attended child-hours")),
    ("filled", _("Share of places filled")),
]


class DashboardForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("Enter a month as year and month, for example 2026-05.")},
    )
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def clean_month(self) -> dt.date | None:
        month = self.cleaned_data.get("month")
        if month is not None and not 2000 <= month.year <= 2100:
            raise forms.ValidationError(_("Choose a month between 2000 and 2100."))
        return month
