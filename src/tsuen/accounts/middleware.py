"""Staff must pass a second factor: an account without one can only set one up."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

#: Paths a staff member without a second factor may still reach (set one up, or leave).
OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/")


def has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.needs_second_factor
            and not request.path.startswith(OPEN_PREFIXES)
            and not has_second_factor(user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
