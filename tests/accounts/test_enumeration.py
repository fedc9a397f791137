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


def test_password_reset_answers_the_same(guardian):
    a, b = client_from("10.1.0.1"), client_from("10.1.0.2")
    known = a.post(reverse("account_reset_password"), {"email": KNOWN})
    unknown = b.post(reverse("account_reset_password"), {"email": UNKNOWN})
    assert known.status_code == 302
    assert _same(known, unknown)
    assert _same(_follow(a, known), _follow(b, unknown))
    # Each address gets exactly one mail: the account a reset link, the stranger a notice.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([KNOWN, UNKNOWN])


def test_sign_up_with_a_taken_address_answers_like_a_new_one(guardian):
    a, b = client_from("10.1.0.3"), client_from("10.1.0.4")
    form = {"password1": "another-long-passphrase", "password2": "another-long-passphrase"}
    taken = a.post(reverse("account_signup"), {"email": KNOWN, **form})
    new = b.post(reverse("account_signup"), {"email": UNKNOWN, **form})
    assert taken.status_code == 302
    assert _same(taken, new)
    assert _same(_follow(a, taken), _follow(b, new))
    assert get_user_model().objects.filter(email=KNOWN).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([KNOWN, UNKNOWN])


def test_failed_login_answers_the_same(guardian):
    wrong_password = password_login(client_from("10.1.0.5"), KNOWN, "not-the-password")
    no_account = password_login(client_from("10.1.0.6"), UNKNOWN, PASSWORD)
    assert wrong_password.status_code == 200
    assert _same(wrong_password, no_account)
