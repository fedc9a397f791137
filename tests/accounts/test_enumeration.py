"""No account enumeration: sign-up, password reset and failed login answer the same for an
address that has an account and for one that has none."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, client_from, page_text, password_login

pytestmark = pytest.mark.django_db

KNOWN = "hogosha@example.jp"
UNKNOWN = "nobody@example.jp"


def _same(known, unknown, known_email=KNOWN, unknown_email=UNKNOWN):
    assert known.status_code == unknown.status_code
    assert known.get("Location") == unknown.get("Location")
    return page_text(known).replace(known_email, "@") == page_text(unknown).replace(
        unknown_email, "@"
    )


def _follow(client, response):
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


def _messages(page, email: str) -> list[tuple[int, str]]:
    """The messages a page showed, with the address written as "@"."""
    return [(m.level, str(m).replace(email, "@")) for m in page.context["messages"]]


def _sign_up(client, email: str):
    form = {"password1": "another-long-passphrase", "password2": "another-long-passphrase"}
    return client.post(reverse("account_signup"), {"email": email, **form})


def _assert_answered_alike(a, taken, b, new, taken_email, new_email):
    """Status, redirect target, the page after following it, and its messages."""
    assert taken.status_code == new.status_code == 302
    assert _same(taken, new, taken_email, new_email)
    taken_page, new_page = _follow(a, taken), _follow(b, new)
    assert _same(taken_page, new_page, taken_email, new_email)
    assert _messages(taken_page, taken_email) == _messages(new_page, new_email)


def test_password_reset_answers_the_same(guardian):
    a, b = client_from("10.1.0.1"), client_from("10.1.0.2")
    known = a.post(reverse("account_reset_password"), {"email": KNOWN})
    unknown = b.post(reverse("account_reset_password"), {"email": UNKNOWN})
    assert known.status_code == 302
    assert _same(known, unknown)
    known_page, unknown_page = _follow(a, known), _follow(b, unknown)
    assert _same(known_page, unknown_page)
    assert _messages(known_page, KNOWN) == _messages(unknown_page, UNKNOWN)
    # Each address gets exactly one mail: the account a reset link, the stranger a notice.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([KNOWN, UNKNOWN])


def test_sign_up_with_a_taken_address_answers_like_a_new_one(guardian):
    a, b = client_from("10.1.0.3"), client_from("10.1.0.4")
    taken, new = _sign_up(a, KNOWN), _sign_up(b, UNKNOWN)
    _assert_answered_alike(a, taken, b, new, KNOWN, UNKNOWN)
    assert get_user_model().objects.filter(email=KNOWN).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([KNOWN, UNKNOWN])


def test_sign_up_answers_alike_while_the_taken_address_was_just_mailed():
    """allauth mails an address at most once in its cooldown (3 minutes) and then leaves out
    its "confirmation sent to <address>" message: an address someone signed up with a moment
    ago answered without it, a new one with it. The message is gone from both."""
    just_registered, new_address = "sakki@example.jp", "hajimete@example.jp"
    _sign_up(client_from("10.1.0.7"), just_registered)  # its owner, a moment ago
    a, b = client_from("10.1.0.8"), client_from("10.1.0.9")
    taken, new = _sign_up(a, just_registered), _sign_up(b, new_address)
    _assert_answered_alike(a, taken, b, new, just_registered, new_address)


def test_sign_up_takes_one_password_hash_for_a_taken_and_a_new_address(guardian, settings):
    """The new-address path hashes the password when it creates the account; the taken path
    hashes it too (and throws it away), so the answer takes as long."""
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingHasher"]
    from tests.accounts.hashers import CountingHasher

    for client, email in [(client_from("10.1.0.10"), KNOWN), (client_from("10.1.0.11"), UNKNOWN)]:
        CountingHasher.encoded = 0
        assert _sign_up(client, email).status_code == 302
        assert CountingHasher.encoded == 1, email


def test_failed_login_answers_the_same(guardian):
    wrong_password = password_login(client_from("10.1.0.5"), KNOWN, "not-the-password")
    no_account = password_login(client_from("10.1.0.6"), UNKNOWN, PASSWORD)
    assert wrong_password.status_code == 200
    assert _same(wrong_password, no_account)
