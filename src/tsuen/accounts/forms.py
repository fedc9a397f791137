"""Account forms: the sign-up form (``ACCOUNT_FORMS["signup"]``) and the form every staff
invitation is accepted with (``accounts.invitations``).

Sign-up is allauth's form, limited per e-mail address and taking as long for a taken address as
for a new one.

allauth limits sign-ups per client address (``ACCOUNT_RATE_LIMITS["signup"]``). Every accepted
sign-up also mails the address it names (a confirmation, or "you already have an account"), so
``RATE_LIMITS["signup"]`` limits them per address as well: nobody can flood someone else's
mailbox from many client addresses. The count is taken before allauth looks at whether the
address has an account, so the answer over the limit is the same for both (no enumeration).
"""

from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from tsuen.core import ratelimit


class SignupForm(AllauthSignupForm):
    """A new address costs one password hash (Argon2, about 150 ms) when the account is
    created; a taken address creates nothing and would answer that much sooner, which tells an
    observer that the address has an account. Here the taken path hashes the chosen password
    too, and throws the hash away. Both paths then send one mail and answer with the same
    redirect."""

    def try_save(self, request):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        refused = ratelimit.check(request, "signup", email=email)
        if refused is not None:
            return None, refused
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)


class InvitationAcceptForm(forms.Form):
    """Accepting a staff invitation: the person's name and password (checked by the password
    validators when the account is made)."""

    full_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
