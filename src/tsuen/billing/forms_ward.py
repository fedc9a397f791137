"""Forms of the ward's claim review."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.billing.forms import MonthForm
from tsuen.billing.models import ClaimStatus
from tsuen.billing.services_review import RECEIVED


class ClaimFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2025, max_value=2100)
    month = forms.IntegerField(
        label=_("Month"),
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "min_value": _("The month must be between 1 and 12."),
            "max_value": _("The month must be between 1 and 12."),
        },
    )
    facility = forms.ModelChoiceField(
        label=_("Facility"), required=False, queryset=None, empty_label=_("All facilities")
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, facilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (s, ClaimStatus(s).label) for s in RECEIVED
        ]


class QueryForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("What the facility should check (the facility sees this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write what the facility should check.")},
    )


class PaidForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Payment date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the payment date."),
            "invalid": _("Enter the payment date."),
        },
    )


class ExportForm(MonthForm):
    """The month to export (year and month, as on the facility's claims page) and the CSV's
    character encoding (UTF-8 unless Shift_JIS is chosen)."""

    encoding = forms.ChoiceField(
        label=_("Character encoding of the CSV"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("utf-8", _("UTF-8 (with BOM; Excel reads it)")),
            ("cp932", _("Shift_JIS (for systems that read only Shift_JIS)")),
        ],
        error_messages={"invalid_choice": _("Choose UTF-8 or Shift_JIS.")},
    )

    def clean_encoding(self) -> str:
        return self.cleaned_data.get("encoding") or "utf-8"
