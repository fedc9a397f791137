from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CalendarFeedForm(forms.Form):
    RESET, REMOVE = "reset", "remove"

    child = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[(RESET, _("Make a new URL")), (REMOVE, _("Turn the feed off"))],
        widget=forms.HiddenInput,
    )
