"""Forms shared by every staff invitation (``accounts.invitations``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class InvitationAcceptForm(forms.Form):
    """Accepting a staff invitation: the person's name and password (checked by the password
    validators when the account is made)."""

    full_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
