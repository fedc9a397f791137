"""E-mail sign-up with mandatory verification, login by e-mail, password reset."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

import tsuen.settings as project_settings
from tests.accounts.conftest import PASSWORD, logged_in_user_id, mail_link, password_login
from tsuen.accounts.models import Role

pytestmark = pytest.mark.django_db

NEW = "atarashii@example.jp"
PASSPHRASE = "sakura-no-hana-ga-saku"


def test_argon2_is_the_production_hasher():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_sign_up_makes_an_unverified_guardian_and_mails_a_link(client, mailoutbox, facility):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Atarashii@Example.jp",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            # A forged form cannot choose a role or an organisation.
            "role": Role.MUNICIPAL_ADMIN,
            "facility": facility.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = get_user_model().objects.get(email=NEW)
    assert user.role == Role.GUARDIAN
    assert user.facility is None and user.municipality is None
    assert not user.needs_second_factor
    assert not EmailAddress.objects.get(user=user).verified
    assert logged_in_user_id(client) is None
    assert [m.to for m in mailoutbox] == [[NEW]]


def test_verification_is_mandatory_before_login(client, mailoutbox):
    client.post(
        reverse("account_signup"),
        {"email": NEW, "password1": PASSPHRASE, "password2": PASSPHRASE},
    )
    # Logging in before verifying only re-sends the link.
    other = client.__class__()
    response = password_login(other, NEW, PASSPHRASE)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_user_id(other) is None

    link = mail_link(mailoutbox[0], "/accounts/confirm-email/")
    confirm_page = other.get(link)
    assert confirm_page.status_code == 200
    assert other.post(link).status_code == 302
    assert EmailAddress.objects.get(email=NEW).verified

    response = password_login(other, NEW, PASSPHRASE)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(other) is not None


def test_sign_up_refuses_a_weak_password(client):
    response = client.post(
        reverse("account_signup"), {"email": NEW, "password1": "12345", "password2": "12345"}
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(email=NEW).exists()


def test_login_by_email_in_any_case(client, guardian):
    response = password_login(client, "HOGOSHA@Example.JP")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(guardian.pk)


def test_password_reset(client, guardian, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": guardian.email})
    assert response["Location"] == reverse("account_reset_password_done")
    link = mail_link(mailoutbox[-1], "/password/reset/key/")
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0], {"password1": PASSPHRASE, "password2": PASSPHRASE}
    )
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    assert logged_in_user_id(client) is None  # a reset does not log in (nor skip the 2nd factor)
    assert password_login(client, guardian.email, PASSWORD).status_code == 200
    assert password_login(client, guardian.email, PASSPHRASE).status_code == 302
