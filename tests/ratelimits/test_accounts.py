"""Sign-up, password reset and login: allauth's limits per client address and per e-mail
address (ACCOUNT_RATE_LIMITS), tsuen's per-address sign-up limit (RATE_LIMITS["signup"]), all
counted in the shared cache and answered with tsuen's 429 page and a Retry-After."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import page_text
from tests.ratelimits.pages import assert_too_many
from tsuen.accounts import services
from tsuen.accounts.models import Role
from tsuen.core import clock

pytestmark = pytest.mark.django_db

PASSPHRASE = "sakura-no-hana-ga-saku"
MINUTE, HOUR = 60, 3600


def allauth_limit(settings, action: str, spec: str) -> None:
    settings.ACCOUNT_RATE_LIMITS = settings.ACCOUNT_RATE_LIMITS | {action: spec}


def sign_up(address: str, email: str):
    form = {"email": email, "password1": PASSPHRASE, "password2": PASSPHRASE}
    return Client(REMOTE_ADDR=address).post(reverse("account_signup"), form)


def accounts(email: str) -> int:
    return get_user_model().objects.filter(email=email).count()


def test_sign_ups_from_one_address_are_limited(settings):
    allauth_limit(settings, "signup", "2/m/ip")
    assert sign_up("203.0.113.1", "ichi@example.jp").status_code == 302
    assert sign_up("203.0.113.1", "ni@example.jp").status_code == 302

    assert_too_many(sign_up("203.0.113.1", "san@example.jp"), wait_at_most=MINUTE)
    assert accounts("san@example.jp") == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["ichi@example.jp", "ni@example.jp"]
    assert sign_up("203.0.113.2", "san@example.jp").status_code == 302  # another address


def test_sign_ups_naming_one_email_address_are_limited_alike_for_new_and_taken(settings):
    """From any number of client addresses, an e-mail address is mailed at most so often; the
    refusal reads the same whether or not the address has an account."""
    # One moment for all four requests: the page gives the wait in minutes, and a second that
    # ticked over a minute between the two refusals made their pages differ (a flaky run).
    with clock.frozen(clock.now()):
        settings.RATE_LIMITS = settings.RATE_LIMITS | {"signup": "1/h/email"}
        services.create_user("hogosha@example.jp", PASSPHRASE, Role.GUARDIAN)
        assert sign_up("203.0.113.1", "Atarashii@example.jp").status_code == 302  # new
        assert sign_up("203.0.113.2", "hogosha@example.jp").status_code == 302  # taken
        assert len(mail.outbox) == 2

        new = sign_up("203.0.113.3", "atarashii@example.jp")
        taken = sign_up("203.0.113.4", "hogosha@example.jp")
        # The same wait, give or take the second that may tick between the four requests.
        waits = assert_too_many(new, wait_at_most=HOUR), assert_too_many(taken, wait_at_most=HOUR)
        assert abs(waits[0] - waits[1]) <= 1, waits
        assert page_text(new) == page_text(taken)
        assert len(mail.outbox) == 2  # nothing more was sent
        assert accounts("atarashii@example.jp") == accounts("hogosha@example.jp") == 1


def reset(address: str, email: str):
    return Client(REMOTE_ADDR=address).post(reverse("account_reset_password"), {"email": email})


def test_password_resets_are_limited_per_email_address_with_the_real_wait(settings):
    allauth_limit(settings, "reset_password", "5/m/ip,1/h/key")
    services.create_user("hogosha@example.jp", PASSPHRASE, Role.GUARDIAN)
    assert reset("203.0.113.1", "hogosha@example.jp").status_code == 302
    assert len(mail.outbox) == 1

    refused = reset("203.0.113.2", "Hogosha@Example.jp")
    # The wait runs from the first reset: about an hour, read from allauth's own counter.
    assert assert_too_many(refused, wait_at_most=HOUR) > HOUR - 60
    assert len(mail.outbox) == 1
    assert reset("203.0.113.2", "other@example.jp").status_code == 302  # another address


def test_password_resets_from_one_client_address_are_limited(settings):
    allauth_limit(settings, "reset_password", "2/m/ip,5/h/key")
    for email in ("a@example.jp", "b@example.jp"):
        assert reset("203.0.113.1", email).status_code == 302
    # Over the minute's limit: the wait is that minute's rest, not the hour of the other rate.
    assert_too_many(reset("203.0.113.1", "c@example.jp"), wait_at_most=MINUTE)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.jp", "b@example.jp"]


def test_logins_from_one_client_address_are_limited_with_the_same_page(settings):
    allauth_limit(settings, "login", "2/m/ip")
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.cookies["django_language"] = "en"
    form = {"login": "nobody@example.jp", "password": "not-the-password"}
    for _ in range(2):
        assert client.post(reverse("account_login"), form).status_code == 200
    assert client.get(reverse("account_login")).status_code == 200  # showing the form is free
    refused = client.post(reverse("account_login"), form)
    assert_too_many(refused, wait_at_most=MINUTE, language="en")
    assert client.session.get("_auth_user_id") is None
