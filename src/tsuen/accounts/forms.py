"""The public sign-up form (``ACCOUNT_FORMS["signup"]``)."""

from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, taking as long for a taken address as for a new one.

    A new address costs one password hash (Argon2, about 150 ms) when the account is created;
    a taken address creates nothing and would answer that much sooner, which tells an observer
    that the address has an account. Here the taken path hashes the chosen password too, and
    throws the hash away. Both paths then send one mail and answer with the same redirect.
    """

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
