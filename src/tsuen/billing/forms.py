from django import forms
from django.utils.translation import gettext_lazy as _


class MonthForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2025, max_value=2100)
    month = forms.IntegerField(
        label=_("Month"),
        min_value=1,
        max_value=12,
        error_messages={
            "min_value": _("The month must be between 1 and 12."),
            "max_value": _("The month must be between 1 and 12."),
        },
    )
