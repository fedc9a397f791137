"""Staff accounts: a second factor on every session, and a short idle timeout.

``StaffSecondFactorMiddleware``
    A staff member (``User.needs_second_factor``) may use tsuen only in a session that passed a
    second factor. Three states:

    * no TOTP or WebAuthn authenticator at all: only the set-up pages (and logging out) are
      open; everything else redirects to TOTP set-up;
    * an authenticator, but this session never passed it (a login that did not go through
      allauth's two-factor stage, e.g. a session created by code calling ``login()``): only the
      two-factor re-authentication page (and logging out) is open;
    * the session passed TOTP or WebAuthn (allauth's login stage, passkey login, two-factor
      re-authentication, or enrolling the authenticator in this very session): free to go on.

    allauth records every authentication step of a session (``get_authentication_records``);
    an ``mfa`` record for this user is the proof. Guardians are never stopped here: their
    second factor is optional, and allauth asks for it at login only if they enabled one.

``StaffSessionTimeoutMiddleware``
    A staff session ends after ``STAFF_SESSION_IDLE_SECONDS`` (30 minutes) without a request.
    The time of the last request is kept in the session (refreshed at most once a minute, to
    spare a session write on every request) and checked against :func:`tsuen.core.clock.now`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from tsuen.core import clock

#: Session key: the user id that passed a second factor in this session outside allauth's own
#: records (by enrolling the authenticator in this session).
SESSION_VERIFIED_KEY = "tsuen.accounts.second_factor_passed"
#: Session key: POSIX time of the last request of a staff session.
SESSION_LAST_SEEN_KEY = "tsuen.accounts.last_seen"
#: The last-seen time is rewritten only when it is at least this old (seconds).
LAST_SEEN_RESOLUTION = 60
DEFAULT_IDLE_SECONDS = 30 * 60

#: Open to a staff member who has no second factor yet: set one up, or leave.
SETUP_ROUTES = (
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_list_webauthn",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "account_reauthenticate",
    "mfa_reauthenticate",
    "mfa_reauthenticate_webauthn",
    "account_logout",
    "set_language",
)
#: Open to a staff member whose session has not passed their second factor: pass it, or leave.
VERIFY_ROUTES = (
    "mfa_reauthenticate",
    "mfa_reauthenticate_webauthn",
    "account_logout",
    "set_language",
)


def second_factors(user):
    from allauth.mfa.models import Authenticator

    from tsuen.accounts.adapters import SECOND_FACTOR_TYPES

    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES)


def has_second_factor(user) -> bool:
    return second_factors(user).exists()


def session_passed_second_factor(request) -> bool:
    """Whether this session's user completed TOTP or WebAuthn in this session."""
    from allauth.account.authentication import get_authentication_records

    user = request.user
    records = get_authentication_records(request, user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    return request.session.get(SESSION_VERIFIED_KEY) == str(user.pk)


def mark_second_factor_passed(request, user) -> None:
    request.session[SESSION_VERIFIED_KEY] = str(user.pk)


def _paths(names) -> set[str]:
    paths = set()
    for name in names:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:  # a type switched off in MFA_SUPPORTED_TYPES
            continue
    return paths


def _is_open(request, names) -> bool:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return request.path.startswith(static) or request.path in _paths(names)


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.needs_second_factor:
            factors = list(second_factors(user).values_list("type", flat=True))
            if not factors:
                if not _is_open(request, SETUP_ROUTES):
                    return redirect(reverse("mfa_activate_totp"))
            elif not session_passed_second_factor(request) and not _is_open(request, VERIFY_ROUTES):
                from allauth.mfa.models import Authenticator

                route = (
                    "mfa_reauthenticate"
                    if Authenticator.Type.TOTP in factors
                    else "mfa_reauthenticate_webauthn"
                )
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse(route)}?{query}")
        return self.get_response(request)


def idle_seconds() -> int:
    return int(getattr(settings, "STAFF_SESSION_IDLE_SECONDS", DEFAULT_IDLE_SECONDS))


def touch(request) -> None:
    request.session[SESSION_LAST_SEEN_KEY] = clock.now().timestamp()


class StaffSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.needs_second_factor:
            now = clock.now().timestamp()
            last = request.session.get(SESSION_LAST_SEEN_KEY)
            if isinstance(last, int | float) and now - last > idle_seconds():
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity.")
                    % {"minutes": idle_seconds() // 60},
                )
                return redirect_to_login(request.get_full_path(), reverse("account_login"))
            if not isinstance(last, int | float) or now - last >= LAST_SEEN_RESOLUTION:
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)
