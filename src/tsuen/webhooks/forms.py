from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL that receives the events"),
        max_length=500,
        assume_scheme="https",
        help_text=_("https:// only, on a public address. Each event is sent as a signed POST."),
    )
    label = forms.CharField(
        label=_("Name (for you)"),
        max_length=100,
        required=False,
        help_text=_("For example the system's name."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events to send"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = choices
