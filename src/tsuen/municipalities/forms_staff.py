"""Forms of the ward's staff accounts and network ranges (issue 9 item 8). They parse; the
services (``services_staff``, ``services_networks``) decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.municipalities.services_networks import NOTE_MAX_LENGTH
from tsuen.municipalities.services_staff import WARD_ROLES

ROLE_CHOICES = [(role.value, role.label) for role in WARD_ROLES]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=ROLE_CHOICES)


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("0", _("Deactivate")), ("1", _("Reactivate"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )


class NetworkForm(forms.Form):
    cidr = forms.CharField(
        label=_("Address range (CIDR)"),
        max_length=50,
        help_text=_("For example 192.0.2.0/24 or 2001:db8:10::/48."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        help_text=_("Which office or network this is, e.g. 本庁舎 LGWAN."),
    )


class RemoveNetworkForm(forms.Form):
    confirm_own_address = forms.BooleanField(
        label=_("I understand that I lose access at once: my own address is in this range."),
        required=False,
    )
    confirm_lockout = forms.BooleanField(
        label=_("I confirm the removal of the last range."), required=False
    )


class FirstAdministratorForm(forms.Form):
    email = forms.EmailField(label=_("The administrator's email address"))
