"""Account services: onboarding staff, demo second factors, MFA key rotation.

The public sign-up (django-allauth) makes guardian accounts only. Staff accounts, and the demo
data, are made here: :func:`create_user` validates like a form would and marks the e-mail
address verified, because the municipality vouches for the address when it onboards staff.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from tsuen.accounts.lockout import normalise
from tsuen.accounts.models import FACILITY_ROLES, MUNICIPAL_ROLES, Role, User
from tsuen.core import clock

#: RFC 4226 asks for at least 128 bits of shared secret; allauth generates 160.
MIN_TOTP_SECRET_BYTES = 16


def address_taken(email: str) -> bool:
    """Whether an account (or an allauth address) already uses ``email``, in any letter case."""
    from allauth.account.models import EmailAddress

    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


def create_user(
    email: str,
    password: str | None,
    role: str,
    municipality=None,
    facility=None,
    full_name: str = "",
) -> User:
    """Create an account whose e-mail address is already verified (staff onboarding, demo data).

    Raises :class:`~django.core.exceptions.ValidationError` for an invalid or taken address, an
    unknown role, a role without the organisation it must belong to (facility roles need a
    facility, municipal roles a municipality), or a password that fails the configured password
    validators. ``password=None`` creates an account without a usable password: the person sets
    one through "forgot password".
    """
    from allauth.account.models import EmailAddress

    address = normalise(email) or ""
    validate_email(address)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": _("Unknown role.")}) from None
    errors: dict[str, str] = {}
    if role in FACILITY_ROLES:
        if facility is None:
            errors["facility"] = _("A facility role needs a facility.")
        elif municipality is not None and municipality.pk != facility.municipality_id:
            errors["municipality"] = _("The facility is not in this municipality.")
    elif facility is not None:
        errors["facility"] = _("Only facility roles belong to a facility.")
    if role in MUNICIPAL_ROLES and municipality is None:
        errors["municipality"] = _("A municipal role needs a municipality.")
    if address_taken(address):
        errors["email"] = _("An account with this email address already exists.")
    if errors:
        raise ValidationError(errors)

    user = User(
        email=address,
        role=role,
        municipality=municipality,
        facility=facility,
        full_name=full_name,
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
        EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user`` at its next request, on every device and app server: the
    account's session epoch moves, so the hash kept in each session no longer matches
    (``User.get_session_auth_hash``). In the caller's transaction; ``user.session_epoch`` is
    refreshed. Deactivation and role changes use it; so can an emergency switch."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def _normalise_secret(secret: str) -> str:
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise ValidationError(_("The TOTP secret is not valid base32.")) from None
    if len(raw) < MIN_TOTP_SECRET_BYTES:
        raise ValidationError(_("The TOTP secret is too short (at least 128 bits)."))
    return base64.b32encode(raw).decode("ascii")


def enable_totp(user: User, secret: str | None = None) -> str:
    """Give ``user`` a TOTP authenticator, stored exactly as allauth stores one (the secret
    encrypted through the MFA adapter), replacing any TOTP authenticator they had. Returns the
    base32 secret (to show once, or to print for a demo)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    if secret is None:
        secret = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    else:
        secret = _normalise_secret(secret)
    with transaction.atomic():
        Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).delete()
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
        )
    return secret


def totp_secret(user: User) -> str | None:
    """The base32 TOTP secret of ``user``, or None. For the demo's printed logins only."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    found = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    return decrypt(found.data["secret"]) if found else None


def totp_code(secret: str, at: datetime | None = None) -> str:
    """The RFC 6238 code for ``secret`` at ``at`` (default: now), with allauth's period and
    number of digits. allauth checks codes against the real clock."""
    from allauth.mfa import app_settings

    moment = at or clock.now()
    counter = int(moment.timestamp()) // app_settings.TOTP_PERIOD
    key = base64.b32decode(_normalise_secret(secret))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**app_settings.TOTP_DIGITS:0{app_settings.TOTP_DIGITS}d}"


def reencrypt_mfa_secrets(*, dry_run: bool = False) -> int:
    """Re-encrypt every stored MFA secret under the newest field-encryption key version (run
    after adding a key, before removing the old one). Returns how many authenticators changed."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt, encrypt

    from tsuen.privacy import crypto

    current = crypto.keyring().current_version
    changed = 0
    with transaction.atomic():
        for auth in Authenticator.objects.select_for_update().filter(
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
        ):
            data = dict(auth.data)
            keys = ["secret"] if auth.type == Authenticator.Type.TOTP else ["seed"]
            touched = False
            for key in keys:
                if key in data and crypto.version_of(data[key]) != current:
                    data[key] = encrypt(decrypt(data[key]))
                    touched = True
            if data.get("migrated_codes"):
                codes = data["migrated_codes"]
                if any(crypto.version_of(code) != current for code in codes):
                    data["migrated_codes"] = [encrypt(decrypt(c)) for c in codes]
                    touched = True
            if touched:
                auth.data = data
                auth.save(update_fields=["data"])
                changed += 1
        if dry_run:
            transaction.set_rollback(True)
    return changed


def rotate_mfa_secrets(*, batch_size: int = 500, dry_run: bool = False, using=None):
    """``manage.py rotate_field_keys`` hook: MFA secrets are encrypted with the field keys
    outside any EncryptedField, so the field walk cannot see them."""
    from tsuen.privacy.rotation import RotationReport

    report = RotationReport("allauth.Authenticator.data (MFA secrets)")
    report.rotated = reencrypt_mfa_secrets(dry_run=dry_run)
    return report
