"""tsuen's sign-up form (``ACCOUNT_FORMS["signup"]``): allauth's, limited per e-mail address.

allauth limits sign-ups per client address (``ACCOUNT_RATE_LIMITS["signup"]``). Every accepted
sign-up also mails the address it names (a confirmation, or "you already have an account"), so
``RATE_LIMITS["signup"]`` limits them per address as well: nobody can flood someone else's
mailbox from many client addresses. The count is taken before allauth looks at whether the
address has an account, so the answer over the limit is the same for both (no enumeration).
"""

from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm

from tsuen.core import ratelimit


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        refused = ratelimit.check(request, "signup", email=email)
        if refused is not None:
            return None, refused
        return super().try_save(request)
