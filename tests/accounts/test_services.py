"""accounts.services and the totp_code command."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests import factories as f
from tests.accounts.conftest import PASSWORD
from tsuen.accounts import services
from tsuen.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_create_user_makes_a_verified_primary_address(facility):
    user = services.create_user(
        " Hoikushi@Example.JP ",
        PASSWORD,
        Role.FACILITY_MANAGER,
        facility=facility,
        full_name="園長",
    )
    assert user.email == "hoikushi@example.jp"
    assert user.role == Role.FACILITY_MANAGER and user.facility == facility
    assert user.full_name == "園長"
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, True, True)


def test_create_user_without_password_needs_a_reset(muni):
    user = services.create_user("kuyakusho@example.jp", None, Role.MUNICIPAL_ADMIN, muni)
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(email="not-an-address", role=Role.GUARDIAN), None),
        (dict(email="x@example.jp", role="superhero"), "role"),
        (dict(email="x@example.jp", role=Role.FACILITY_STAFF), "facility"),
        (dict(email="x@example.jp", role=Role.MUNICIPAL_REVIEWER), "municipality"),
        (dict(email="x@example.jp", role=Role.GUARDIAN, with_facility=True), "facility"),
        (dict(email="x@example.jp", role=Role.GUARDIAN, password="password"), None),
        (dict(email="x@example.jp", role=Role.GUARDIAN, password="x@example.jp1"), None),
        (dict(email="TAKEN@example.jp", role=Role.GUARDIAN), "email"),
    ],
)
def test_create_user_validates(kwargs, field, facility):
    services.create_user("taken@example.jp", PASSWORD, Role.GUARDIAN)
    facility_arg = facility if kwargs.pop("with_facility", False) else None
    kwargs.setdefault("password", PASSWORD)
    with pytest.raises(ValidationError) as raised:
        services.create_user(facility=facility_arg, **kwargs)
    if field:
        assert field in raised.value.message_dict
    assert not EmailAddress.objects.filter(email="x@example.jp").exists()


def test_create_user_refuses_a_facility_of_another_municipality(facility):
    other = f.municipality()
    with pytest.raises(ValidationError):
        services.create_user("x@example.jp", PASSWORD, Role.FACILITY_STAFF, other, facility)


def test_enable_totp_stores_the_secret_encrypted_as_allauth_does(guardian):
    secret = services.enable_totp(guardian)
    assert len(base64.b32decode(secret)) == 20
    stored = Authenticator.objects.get(user=guardian)
    assert stored.type == Authenticator.Type.TOTP
    assert secret not in json.dumps(stored.data)
    assert services.totp_secret(guardian) == secret
    assert validate_totp_code(secret, services.totp_code(secret))


def test_enable_totp_with_a_given_secret_replaces_the_old_one(guardian):
    services.enable_totp(guardian)
    given = "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"
    assert services.enable_totp(guardian, given) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert Authenticator.objects.filter(user=guardian).count() == 1
    assert services.totp_secret(guardian) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.mark.parametrize("bad", ["not base32!", "JBSWY3DPEHPK3PXP"])  # the second: 80 bits
def test_enable_totp_refuses_a_bad_secret(guardian, bad):
    with pytest.raises(ValidationError):
        services.enable_totp(guardian, bad)
    assert not Authenticator.objects.filter(user=guardian).exists()


def test_totp_code_follows_rfc_6238():
    # RFC 6238 appendix B, SHA-1 seed "12345678901234567890", 8 digits -> 6 low digits here
    secret = base64.b32encode(b"12345678901234567890").decode()
    at = dt.datetime.fromtimestamp(59, tz=dt.UTC)
    assert services.totp_code(secret, at) == "287082"  # 94287082
    at = dt.datetime.fromtimestamp(1111111109, tz=dt.UTC)
    assert services.totp_code(secret, at) == "081804"  # 07081804


def test_totp_secret_of_an_account_without_totp_is_none(guardian):
    assert services.totp_secret(guardian) is None


def _run(*args) -> str:
    out = io.StringIO()
    call_command("totp_code", *args, stdout=out)
    return out.getvalue().strip()


@translation.override("en")
@pytest.mark.parametrize("flag", [(), ("--i-know-this-is-a-demo",)])
def test_totp_code_command_refuses_without_debug_even_with_the_old_flag(guardian, settings, flag):
    """Production (DEBUG off) never prints a second factor, whatever the command line says."""
    settings.DEBUG = False
    services.enable_totp(guardian)
    with pytest.raises(CommandError) as refused:
        _run(guardian.email, *flag)
    assert not refused.value.args[0].isdigit()


@translation.override("en")
def test_totp_code_command_says_why_it_refuses(guardian, settings):
    settings.DEBUG = False
    services.enable_totp(guardian)
    with pytest.raises(CommandError, match="TSUEN_DEBUG=1"):
        _run(guardian.email)


def test_totp_code_command_prints_the_current_code(guardian, settings):
    settings.DEBUG = True
    secret = services.enable_totp(guardian)
    code = _run(guardian.email.upper())
    assert len(code) == 6 and code.isdigit()
    assert validate_totp_code(secret, code)


def test_totp_code_command_explains_its_refusal_in_help():
    from tsuen.accounts.management.commands.totp_code import Command

    assert "DEBUG" in Command.help and "--i-know-this-is-a-demo" not in Command.help


@translation.override("en")
def test_totp_code_command_without_totp(guardian, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no TOTP"):
        _run(guardian.email)
    with pytest.raises(CommandError, match="no such account"):
        _run("nobody@example.jp")
