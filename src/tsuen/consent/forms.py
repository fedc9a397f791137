"""Forms of the ward desk's disclosure pages (the service checks everything again)."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.consent.desk import NOTE_MAX_CHARS
from tsuen.consent.models import IdentityDocument, RequesterRelation
from tsuen.core.forms import BLANK_LABEL


class DateInput(forms.DateInput):
    input_type = "date"


class HouseholdSearchForm(forms.Form):
    text = forms.CharField(
        label=_("Name or reading of a guardian or child"), required=False, max_length=100
    )


class DeskRequestForm(forms.Form):
    received_on = forms.DateField(label=_("Request received on"), widget=DateInput)
    identity_document = forms.ChoiceField(
        label=_("Identity checked with (本人確認書類)"),
        choices=[("", BLANK_LABEL), *IdentityDocument.choices],
    )
    requester_relation = forms.ChoiceField(
        label=_("Requester"), choices=[("", BLANK_LABEL), *RequesterRelation.choices]
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write the identity document's number here."),
    )
    #: The form's one-time id: sending it again finds the request it recorded.
    submission = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", secrets.token_urlsafe(18))


class ProduceForm(forms.Form):
    confirmed = forms.BooleanField(
        label=_(
            "I checked the requester's identity and that this is their household; produce "
            "the files now"
        ),
        required=False,
    )
