"""The search form of the audit log."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.audit.actions import Action
from tsuen.audit.search import KIND_CHANGES, KIND_READS, object_type_label, object_types
from tsuen.core.forms import ROW_ID_MAX


def _kinds():
    return [
        ("", _("Any action")),
        (KIND_READS, _("Every read (read, list, export, download)")),
        (KIND_CHANGES, _("Every change (create, update, delete, purge)")),
        *Action.choices,
    ]


def _object_types():
    choices = [(label, object_type_label(label)) for label in object_types()]
    return [("", _("Any object type")), *sorted(choices, key=lambda c: str(c[1]))]


class AuditSearchForm(forms.Form):
    child = forms.CharField(
        label=_("Child (certificate number or internal id)"), required=False, max_length=30
    )
    guardian_email = forms.EmailField(label=_("Guardian's email"), required=False)
    staff_email = forms.EmailField(label=_("Staff member's email"), required=False)
    date_from = forms.DateField(
        label=_("From (date, JST)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (date, JST, inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    kind = forms.ChoiceField(label=_("Action"), required=False, choices=_kinds)
    object_type = forms.ChoiceField(label=_("Object type"), required=False, choices=_object_types)

    def clean_child(self):
        text = self.cleaned_data["child"].strip()
        if re.fullmatch(r"[0-9]+", text) and int(text) > ROW_ID_MAX:
            raise forms.ValidationError(
                _("Write a certificate number of this municipality or a child's id.")
            )
        return text

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
