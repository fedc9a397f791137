"""allauth's pages use tsuen's base layout, in Japanese by default, with same-origin assets."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, password_login
from tsuen.accounts import services
from tsuen.accounts.testing import login_with_second_factor

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=\"([^\"]*)\"", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.I)


def assert_same_origin_page(response):
    html = response.content.decode()
    assert 'class="site"' in html, "not rendered inside base.html"
    assert "tsuen/site.css" in html
    for url in ASSET.findall(html) + CSS_URL.findall(html):
        assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I), url
        assert not url.startswith(("http:", "https:")), url
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp


ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_account_pages(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert_same_origin_page(response)
    assert '<html lang="ja">' in response.content.decode()


def test_login_page_is_japanese_by_default(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "ログイン" in html
    assert "パスワード" in html


def test_second_factor_prompt_page(client, staff):
    services.enable_totp(staff)
    password_login(client, staff.email)
    response = client.get(reverse("mfa_authenticate"))
    assert response.status_code == 200
    assert_same_origin_page(response)


@pytest.mark.parametrize(
    "name",
    [
        "account_email",
        "account_change_password",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_view_recovery_codes",
        "mfa_list_webauthn",
    ],
)
def test_signed_in_account_pages(client, guardian, name):
    login_with_second_factor(client, guardian)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    if name == "mfa_view_recovery_codes":
        services.enable_totp(guardian)
        client.post(reverse("mfa_generate_recovery_codes"))
    response = client.get(reverse(name))
    assert response.status_code == 200, response.get("Location")
    assert_same_origin_page(response)


def test_page_scripts_are_kept_although_base_has_no_script_block(client, guardian):
    """base.html has no block after the content; the overrides carry allauth's scripts."""
    login_with_second_factor(client, guardian)
    html = client.get(reverse("account_email")).content.decode()
    assert "account/js/account.js" in html
    assert html.count("account/js/onload.js") == 1
