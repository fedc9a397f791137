"""Forms of the ward's review desk."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.certification.models import ApplicationStatus


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Waiting (all)")),
            (ApplicationStatus.SUBMITTED, ApplicationStatus.SUBMITTED.label),
            (ApplicationStatus.CORRECTION_REQUESTED, ApplicationStatus.CORRECTION_REQUESTED.label),
        ],
    )
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kana = forms.CharField(label=_("Child's name (katakana)"), required=False, max_length=50)


class CorrectionForm(forms.Form):
    message = forms.CharField(
        label=_("What the family needs to correct (the guardian sees this)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection (the guardian sees this)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
