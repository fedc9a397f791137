"""Accounts tests: no lockouts left over between tests.

allauth keeps its rate limits and used TOTP codes in the cache, which each test sees fresh (its
own key prefix, tests/conftest.py); django-axes keeps failed attempts in the database, reset
around each test.
"""

from __future__ import annotations

import re
import time

import pytest
from axes.utils import reset as axes_reset
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tsuen.accounts import services
from tsuen.accounts.models import Role

PASSWORD = f.PASSWORD


@pytest.fixture(autouse=True)
def _clean_limits(request):
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if uses_db:
        axes_reset()
    yield
    if uses_db:
        axes_reset()


@pytest.fixture
def muni():
    return f.municipality()


@pytest.fixture
def facility(muni):
    return f.facility(muni)


@pytest.fixture
def staff(facility):
    """A facility staff member with a verified address and no second factor yet."""
    return services.create_user(
        "hoikushi@example.jp", PASSWORD, Role.FACILITY_STAFF, facility=facility
    )


@pytest.fixture
def guardian():
    return services.create_user("hogosha@example.jp", PASSWORD, Role.GUARDIAN)


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def password_login(client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def fresh_code(secret: str) -> str:
    """The current TOTP code, waiting out the last second of a period so that the code is
    still current when allauth checks it."""
    if time.time() % 30 > 29:
        time.sleep(1.2)
    return services.totp_code(secret)


def enter_code(client, secret: str, route: str = "mfa_authenticate"):
    return client.post(reverse(route), {"code": fresh_code(secret)})


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def mail_link(message, marker: str) -> str:
    """The first link in a mail whose URL contains ``marker`` (mails are Japanese: links sit
    next to text without spaces)."""
    return next(u for u in re.findall(r"https?://[!-~]+", message.body) if marker in u)


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def page_text(response) -> str:
    """A page's HTML without its per-request CSRF token."""
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
