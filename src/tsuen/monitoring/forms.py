from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.monitoring.models import Disposition
from tsuen.monitoring.services import NOTE_MAX


class ShowForm(forms.Form):
    """The list's filter: open anomalies (the default) or all of them."""

    show = forms.ChoiceField(
        label=_("Show"),
        choices=[("open", _("Open anomalies")), ("all", _("All anomalies"))],
        required=False,
    )


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("Disposition"),
        choices=[
            (Disposition.EXPLAINED, _("Explained: the access had a legitimate reason")),
            (Disposition.ESCALATED, _("Escalated: to be investigated as a possible incident")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note on the disposition"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What explains it (who confirmed it, and how), or why it is escalated."),
    )
