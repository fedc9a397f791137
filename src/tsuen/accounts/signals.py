"""Receivers that tie allauth, axes and the staff session rules together."""

from __future__ import annotations

from allauth.account.signals import password_reset
from allauth.mfa.signals import authentication_failed, authenticator_added
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tsuen.accounts import lockout, login_audit
from tsuen.accounts.adapters import SECOND_FACTOR_TYPES
from tsuen.accounts.backends import REFUSED_ATTR
from tsuen.accounts.middleware import mark_second_factor_passed, touch


@receiver(authenticator_added, dispatch_uid="tsuen.accounts.enrolled_counts_as_verified")
def enrolled_counts_as_verified(sender, request, user, authenticator, **kwargs):
    """Enrolling TOTP (a code from the new secret) or a passkey proves possession of it: the
    session that enrolled it has passed the second factor."""
    if (
        request is not None
        and authenticator.type in SECOND_FACTOR_TYPES
        and getattr(request, "user", None) is not None
        and request.user.pk == user.pk
    ):
        mark_second_factor_passed(request, user)


@receiver(user_logged_in, dispatch_uid="tsuen.accounts.start_staff_idle_clock")
def start_staff_idle_clock(sender, request, user, **kwargs):
    if request is not None and getattr(user, "needs_second_factor", False):
        touch(request)


@receiver(password_reset, dispatch_uid="tsuen.accounts.unlock_after_password_reset")
def unlock_after_password_reset(sender, request, user, **kwargs):
    """Whoever completed a password reset controls the mailbox: lift the login lockout, so that
    a person locked out by someone else's guessing can get back in at once."""
    lockout.unlock(user.email)


# --- the audit trail (accounts.login_audit) ------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="tsuen.accounts.audit_login")
def audit_login(sender, request, user, **kwargs):
    login_audit.logged_in(request, user)


@receiver(user_logged_out, dispatch_uid="tsuen.accounts.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    login_audit.logged_out(request, user)


@receiver(user_login_failed, dispatch_uid="tsuen.accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, REFUSED_ATTR, False):
        return  # recorded as "denied" by the password step
    email = lockout.attempt_email(request, credentials)
    login_audit.password_failed(request, lockout.account_for(email))


@receiver(authentication_failed, dispatch_uid="tsuen.accounts.audit_second_factor_failed")
def audit_second_factor_failed(sender, request, user, authenticator, **kwargs):
    login_audit.second_factor_failed(request, user, authenticator)


@receiver(user_locked_out, dispatch_uid="tsuen.accounts.audit_lockout")
def audit_lockout(sender, request, username, **kwargs):
    login_audit.locked_out(request, lockout.account_for(lockout.email_of(username)))
