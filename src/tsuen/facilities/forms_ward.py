"""Forms of the ward's facility register: they parse; services_ward enforces the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.facilities.checks import REGISTER_FIELDS
from tsuen.facilities.forms_staff import TIME
from tsuen.facilities.models import Facility, FacilityType


class RegisterFilterForm(forms.Form):
    name = forms.CharField(label=_("Facility name"), required=False, max_length=100)
    facility_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *FacilityType.choices]
    )
    suspended = forms.ChoiceField(
        label=_("Suspension"),
        required=False,
        choices=[("", _("All")), ("no", _("Taking bookings")), ("yes", _("Suspended"))],
    )
    facility_number = forms.ChoiceField(
        label=_("Facility number (事業所番号)"),
        required=False,
        choices=[
            ("", _("All")),
            ("missing", _("Not registered yet")),
            ("registered", _("Registered")),
        ],
    )


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = REGISTER_FIELDS
        widgets = {
            "opens_at": TIME,
            "closes_at": TIME,
            "latitude": forms.NumberInput(attrs={"step": "0.000001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001"}),
        }
        help_texts = {
            "latitude": _("Optional; for the map (for example 35.690921)."),
            "longitude": _("Optional; for the map (for example 139.700258)."),
        }


class ManagerInviteForm(forms.Form):
    email = forms.EmailField(label=_("The manager's email address"))


class SuspensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
