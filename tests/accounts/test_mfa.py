"""Second factor: required for every staff role, optional for guardians."""

from __future__ import annotations

import json
import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.accounts.conftest import (
    PASSWORD,
    enter_code,
    fresh_code,
    logged_in_user_id,
    password_login,
)
from tests.cachekeys import forget_this_tests_keys
from tsuen.accounts import services
from tsuen.accounts.models import SECOND_FACTOR_ROLES, Role
from tsuen.accounts.testing import login_with_second_factor

pytestmark = pytest.mark.django_db

PROBE = "/probe/"  # tests/accounts/urls.py: needs a login, says who is in


def _example_paths() -> list[str]:
    """One concrete path for every route of the project outside the account pages."""
    paths = []

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                paths.append("/" + re.sub(r"<(?:int:)?\w+>", "1", re.sub(r"<str:\w+>", "x", route)))

    walk(get_resolver("tsuen.urls").url_patterns, "")
    return sorted(p for p in paths if not p.startswith(("/accounts/", "/i18n/")))


def assert_reaches_home(client, user):
    """The portal home answers the signed-in user itself (it may forward to their portal), not
    a detour through the account pages."""
    home = client.get("/")
    assert home.wsgi_request.user == user
    assert home.status_code in (200, 302)
    assert not home.get("Location", "").startswith("/accounts/")


def test_every_staff_role_needs_a_second_factor():
    assert {r for r in Role if r not in (Role.GUARDIAN, Role.PROXY)} == SECOND_FACTOR_ROLES


def test_staff_without_second_factor_can_only_set_one_up(client, staff):
    assert password_login(client, staff.email).status_code == 302
    assert logged_in_user_id(client) == str(staff.pk)
    setup = reverse("mfa_activate_totp")
    paths = _example_paths()
    assert "/" in paths
    for path in paths:
        response = client.get(path)
        assert (response.status_code, response.get("Location")) == (302, setup), path
    # Account pages other than the second-factor set-up are closed too.
    for name in ["account_email", "account_change_password", "mfa_deactivate_totp"]:
        assert client.get(reverse(name))["Location"] == setup, name
    # The set-up pages are open (allauth asks for the password again before MFA changes).
    assert client.get(reverse("mfa_index")).status_code == 200
    reauthenticate(client)
    for name in ["mfa_activate_totp", "mfa_add_webauthn"]:
        assert client.get(reverse(name)).status_code == 200, name


@pytest.mark.urls("tests.accounts.urls")
@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit
def test_staff_activates_totp_through_allauth_and_gets_in(client, staff):
    password_login(client, staff.email)
    assert client.get(PROBE)["Location"] == reverse("mfa_activate_totp")
    asked = client.get(reverse("mfa_activate_totp"))  # allauth: "confirm your password first"
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]  # the secret the page shows as text and QR code
    assert secret in page.content.decode()

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=staff).exists()

    done = client.post(reverse("mfa_activate_totp"), {"code": fresh_code(secret)})
    assert done.status_code == 302
    totp = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    assert secret not in json.dumps(totp.data)  # stored encrypted
    assert services.totp_secret(staff) == secret

    assert client.get(PROBE).content == f"signed in as {staff.email}".encode()
    assert_reaches_home(client, staff)


@pytest.mark.urls("tests.accounts.urls")
def test_staff_with_totp_is_not_in_after_the_password_alone(client, staff):
    secret = services.enable_totp(staff)
    response = password_login(client, staff.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None
    assert client.get("/").wsgi_request.user.is_anonymous
    assert client.get(PROBE)["Location"].startswith(reverse("account_login"))

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and logged_in_user_id(client) is None

    assert enter_code(client, secret).status_code == 302
    assert logged_in_user_id(client) == str(staff.pk)
    assert client.get(PROBE).status_code == 200
    assert_reaches_home(client, staff)


@pytest.mark.urls("tests.accounts.urls")
def test_a_password_only_session_of_staff_with_totp_must_pass_the_code(client, staff):
    """A session that did not pass allauth's two-factor stage (here: made by ``login()``
    directly) is sent to two-factor re-authentication, and nowhere else."""
    secret = services.enable_totp(staff)
    client.force_login(staff)
    reauth = reverse("mfa_reauthenticate")
    assert client.get(PROBE)["Location"] == f"{reauth}?next=%2Fprobe%2F"
    assert client.get("/")["Location"].startswith(reauth)
    for name in ["account_email", "mfa_index", "mfa_deactivate_totp", "account_reauthenticate"]:
        assert client.get(reverse(name))["Location"].startswith(reauth), name
    assert client.get(reauth).status_code == 200

    passed = client.post(f"{reauth}?next=/probe/", {"code": fresh_code(secret), "next": PROBE})
    assert passed.status_code == 302 and passed["Location"] == PROBE
    assert client.get(PROBE).status_code == 200


def test_a_passkey_only_staff_member_is_sent_to_passkey_reauthentication(client, staff):
    Authenticator.objects.create(user=staff, type=Authenticator.Type.WEBAUTHN, data={})
    client.force_login(staff)
    assert client.get("/")["Location"].startswith(reverse("mfa_reauthenticate_webauthn"))


@pytest.mark.urls("tests.accounts.urls")
def test_testing_helper_gives_a_verified_staff_session(client, staff):
    services.enable_totp(staff)
    login_with_second_factor(client, staff)
    assert client.get(PROBE).status_code == 200


def test_recovery_codes_alone_are_not_a_second_factor(client, staff):
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x", "used_mask": 0}
    )
    login_with_second_factor(client, staff)
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")


@pytest.mark.urls("tests.accounts.urls")
def test_guardian_is_never_forced_and_never_asked_without_a_factor(client, guardian):
    response = password_login(client, guardian.email)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(client) == str(guardian.pk)
    assert client.get(PROBE).status_code == 200
    assert_reaches_home(client, guardian)
    # ...but may set up TOTP or a passkey.
    reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200


def test_guardian_who_enabled_totp_is_asked_for_it(client, guardian):
    secret = services.enable_totp(guardian)
    assert password_login(client, guardian.email)["Location"] == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None
    enter_code(client, secret)
    assert logged_in_user_id(client) == str(guardian.pk)


def reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.status_code


def _logged_in_with_code(client, user, secret):
    password_login(client, user.email)
    enter_code(client, secret)
    assert logged_in_user_id(client) == str(user.pk)
    forget_this_tests_keys()  # allow the same code again (allauth refuses a code used twice)


def test_staff_cannot_deactivate_their_only_second_factor(client, staff):
    secret = services.enable_totp(staff)
    _logged_in_with_code(client, staff, secret)
    reauthenticate(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200  # the form again, with allauth's refusal
    assert response.context["form"].errors
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_guardian_can_deactivate_totp(client, guardian):
    secret = services.enable_totp(guardian)
    _logged_in_with_code(client, guardian, secret)
    reauthenticate(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=guardian).exists()


def test_staff_who_loses_their_factor_is_sent_back_to_set_up(client, staff):
    services.enable_totp(staff)
    login_with_second_factor(client, staff)
    Authenticator.objects.filter(user=staff).delete()  # e.g. removed by an administrator
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")


def test_sign_in_still_works_after_a_field_key_rotation(client, staff, settings):
    secret = services.enable_totp(staff)
    old = Authenticator.objects.get(user=staff).data["secret"]
    assert old.startswith("v1:")
    settings.FIELD_ENCRYPTION_KEYS += ",2:" + "Mi1yb3RhdGVkLWtleS0zMi1ieXRlcy1sb25nISEhISE="
    assert services.reencrypt_mfa_secrets() == 1
    assert Authenticator.objects.get(user=staff).data["secret"].startswith("v2:")
    assert services.reencrypt_mfa_secrets() == 0
    _logged_in_with_code(client, staff, secret)


def test_passkey_sign_in_is_offered_on_the_login_page(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'id="passkey_login"' in page
    assert f'action="{reverse("mfa_login_webauthn")}"' in page
    assert "mfa/js/webauthn.js" in page


def test_password_is_right_but_not_enough(client, staff):
    services.enable_totp(staff)
    assert password_login(client, staff.email, PASSWORD).status_code == 302
    assert logged_in_user_id(client) is None
