"""tsuen's django-allauth adapters (``ACCOUNT_ADAPTER`` and ``MFA_ADAPTER``).

* Self sign-up only ever creates a guardian account. Staff accounts are created by
  :func:`tsuen.accounts.services.create_user`, never through the public form.
* A login attempt for a locked-out account is refused before allauth's own rate limit is
  consulted, so that the person sees the lockout page (axes) rather than a generic form error.
* Secrets of second factors (the TOTP key, the recovery-code seed) are stored encrypted with the
  field-encryption keyring (AES-256-GCM, versioned keys), bound to their column.
* A staff member cannot deactivate their last TOTP authenticator: staff must always have a
  second factor (``StaffSecondFactorMiddleware`` would otherwise send them straight back to
  set-up).
* Sign-up answers a new and a taken address alike: allauth's "confirmation sent to <address>"
  message is dropped (the page after sign-up says the same for both, without the address), so
  that neither allauth's per-address mail cooldown nor anything else can make the two answers
  differ; ``forms.SignupForm`` evens out the time.
* The client's address is :func:`tsuen.core.middleware.client_address` (trusted proxies), for
  allauth's per-IP rate limits as for everything else.
* allauth's per-address login throttle follows the lockout rule (``accounts.lockout``): failures
  that lock only (address, client address) are throttled per that pair too.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied

from tsuen.accounts.models import Role

#: Associated data that binds an encrypted MFA secret to where it is stored.
MFA_ENCRYPTION_CONTEXT = "mfa.Authenticator.data"

#: Authenticator types that count as a second factor (recovery codes are a fallback only).
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

#: allauth's message after a sign-up; it names the address, and the per-address mail cooldown
#: can leave it out for one path and not the other.
SIGNUP_SENT_MESSAGE = "account/messages/email_confirmation_sent.txt"


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.strip().lower()
        # Whatever the form carried: the public sign-up makes guardians, bound to nothing.
        user.role = Role.GUARDIAN
        user.municipality = None
        user.facility = None
        if commit:
            user.save()
        return user

    def get_client_ip(self, request):
        """The address allauth's rate limits count: the same one as tsuen's own limits and the
        audit trail (``core.middleware.client_address``)."""
        from tsuen.core.middleware import client_address

        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def pre_authenticate(self, request, **credentials):
        if settings.AXES_ENABLED:
            from axes.handlers.proxy import AxesProxyHandler

            attempt = dict(credentials)
            if not AxesProxyHandler.is_allowed(request, attempt):
                # AxesMiddleware turns the response into the lockout page.
                request.axes_locked_out = True
                request.axes_credentials = attempt
                raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth keys its "5 failures in 5 minutes" login throttle by the address alone;
        # where the lockout rule locks only (address, client address), so does the throttle,
        # or a stranger could keep a staff member throttled from the internet.
        from tsuen.accounts import lockout
        from tsuen.core.middleware import client_address

        key = super()._get_login_attempts_cache_key(request, **credentials)
        if lockout.scope(request, credentials) == lockout.ACCOUNT_AND_ADDRESS:
            key = f"{key}|{client_address(request) or '-'}"
        return key

    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ):
        if message_template == SIGNUP_SENT_MESSAGE and (message_context or {}).get("signup"):
            return
        super().add_message(
            request, level, message_template, message_context, extra_tags, message=message
        )


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        from tsuen.privacy import crypto

        return crypto.keyring().encrypt(text.encode("utf-8"), MFA_ENCRYPTION_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        from tsuen.privacy import crypto

        return crypto.keyring().decrypt(encrypted_text, MFA_ENCRYPTION_CONTEXT).decode("utf-8")

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        user = authenticator.user
        if user.needs_second_factor:
            others = Authenticator.objects.filter(
                user_id=user.pk, type__in=SECOND_FACTOR_TYPES
            ).exclude(pk=authenticator.pk)
            if not others.exists():
                return False
        return super().can_delete_authenticator(authenticator)
