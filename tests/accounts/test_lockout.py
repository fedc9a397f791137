"""Lockout (django-axes) after AXES_FAILURE_LIMIT failed logins, keyed by accounts.lockout, and
django-allauth's own throttles next to it."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.urls import reverse

from tests.accounts.conftest import (
    PASSWORD,
    client_from,
    enter_code,
    logged_in_user_id,
    mail_link,
    page_text,
    password_login,
)
from tests.accounts.test_templates import assert_same_origin_page
from tests.cachekeys import forget_this_tests_keys
from tsuen.accounts import services
from tsuen.accounts.models import Role

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def _fail(client, email, times):
    for _ in range(times):
        response = password_login(client, email, "wrong-password-here")
    return response


def test_limit_is_five():
    assert LIMIT == 5


def test_right_password_is_refused_after_too_many_failures(guardian):
    client = client_from("10.2.0.1")
    before = _fail(client, guardian.email, LIMIT - 1)
    assert before.status_code == 200  # still the login form with its error
    last = _fail(client, guardian.email, 1)
    assert last.status_code == 429
    assert "accounts/lockout.html" in [t.name for t in last.templates]

    response = password_login(client, guardian.email, PASSWORD)
    assert response.status_code == 429
    assert "accounts/lockout.html" in [t.name for t in response.templates]
    assert logged_in_user_id(client) is None
    # Another address (another person behind the same ward NAT) is not affected.
    assert password_login(client_from("10.2.0.1"), "other@example.jp", "x" * 12).status_code == 200


def test_lockout_page_is_translated_and_extends_the_base_layout(guardian):
    client = client_from("10.2.0.2")
    _fail(client, guardian.email, LIMIT)
    ja = password_login(client, guardian.email, PASSWORD)
    text = ja.content.decode()
    assert "ログインを一時停止しています" in text
    assert "30分間" in text
    assert_same_origin_page(ja)  # inside base.html, same-origin assets only
    en = client.post(
        reverse("account_login"),
        {"login": guardian.email, "password": PASSWORD},
        headers={"accept-language": "en"},
    )
    assert "Sign-in paused" in en.content.decode()
    assert "30 minutes" in en.content.decode()


def test_lockout_reads_the_same_for_an_unknown_address(guardian):
    known, unknown = client_from("10.2.0.3"), client_from("10.2.0.4")
    _fail(known, guardian.email, LIMIT)
    _fail(unknown, "nobody@example.jp", LIMIT)
    a = password_login(known, guardian.email, PASSWORD)
    b = password_login(unknown, "nobody@example.jp", PASSWORD)
    assert a.status_code == b.status_code == 429
    assert page_text(a) == page_text(b)
    assert guardian.email not in a.content.decode()


def test_address_case_and_spaces_do_not_escape_the_lock(guardian):
    client = client_from("10.2.0.5")
    for variant in ["HOGOSHA@example.jp", " hogosha@EXAMPLE.jp", "Hogosha@Example.JP"]:
        _fail(client, variant, 1)
    _fail(client, guardian.email, LIMIT - 3)
    assert password_login(client, guardian.email, PASSWORD).status_code == 429


def test_reset_lifts_the_lock(guardian):
    client = client_from("10.2.0.6")
    _fail(client, guardian.email, LIMIT)
    axes_reset(username=guardian.email)
    forget_this_tests_keys()  # allauth's own 5-per-5-minutes limit runs out by itself; here at once
    response = password_login(client, guardian.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(guardian.pk)


def test_a_completed_password_reset_lifts_the_lock(guardian, mailoutbox):
    client = client_from("10.2.0.7")
    _fail(client, guardian.email, LIMIT)
    client.post(reverse("account_reset_password"), {"email": guardian.email})
    link = mail_link(mailoutbox[-1], "/password/reset/key/")
    form_page = client.get(link, follow=True)
    new = "a-brand-new-passphrase"
    done = client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302
    assert password_login(client, guardian.email, new).status_code == 302
    assert logged_in_user_id(client) == str(guardian.pk)


def test_successful_login_clears_earlier_failures(guardian):
    client = client_from("10.2.0.8")
    _fail(client, guardian.email, LIMIT - 1)
    assert AccessAttempt.objects.filter(username=guardian.email).exists()
    assert password_login(client, guardian.email, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=guardian.email).exists()


def test_allauth_throttles_failed_logins_per_address(settings):
    """allauth's own limit (10 failures a minute from one IP address) works next to axes:
    eleven different addresses each fail once, none is locked, and the eleventh attempt from the
    same IP address is throttled by allauth."""
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"].startswith("10/m/ip")
    client = client_from("10.2.0.9")
    for n in range(10):
        response = password_login(client, f"person{n}@example.jp", "wrong-password-here")
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.content.decode()
    throttled = client.post(
        reverse("account_login"),
        {"login": "person10@example.jp", "password": "wrong-password-here"},
        headers={"accept-language": "en"},
    )
    assert throttled.status_code == 200
    assert "Too many failed login attempts" in throttled.content.decode()
    # A different address is not throttled.
    assert "Too many" not in password_login(
        client_from("10.2.0.10"), "person11@example.jp", "wrong-password-here"
    ).content.decode("utf-8")


def test_second_factor_codes_are_throttled(staff):
    """Guessing TOTP codes is limited by allauth (5 per 5 minutes per account)."""
    secret = services.enable_totp(staff)
    client = client_from("10.2.0.11")
    assert password_login(client, staff.email).status_code == 302
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    response = enter_code(client, secret)
    assert logged_in_user_id(client) is None
    assert response.status_code == 200


# --- a stranger cannot lock staff out from the internet (accounts.lockout) ----------------------

INSIDE = "127.0.0.1"  # the test ward's staff network is this machine (127.0.0.0/8)
OUTSIDE = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]


@pytest.fixture
def ward_staff(muni):
    user = services.create_user(
        "kuyakusho@example.jp", PASSWORD, Role.MUNICIPAL_REVIEWER, municipality=muni
    )
    services.enable_totp(user)
    return user


def _reaches_second_factor(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")


def test_failures_from_outside_do_not_lock_ward_staff(ward_staff):
    """Three addresses on the internet each fail more often than the limit; the staff member
    then logs in from the ward's network as usual. Each attacking address is itself locked."""
    for address in OUTSIDE:
        attacker = client_from(address)
        _fail(attacker, ward_staff.email, LIMIT + 2)
        assert password_login(attacker, ward_staff.email, PASSWORD).status_code == 429
    assert _reaches_second_factor(password_login(client_from(INSIDE), ward_staff.email))


def test_failures_from_outside_do_not_add_up_with_failures_from_inside(ward_staff):
    _fail(client_from(OUTSIDE[0]), ward_staff.email, LIMIT - 1)
    _fail(client_from(INSIDE), ward_staff.email, 1)
    assert _reaches_second_factor(password_login(client_from(INSIDE), ward_staff.email))


def test_failures_from_inside_still_lock_the_ward_account(ward_staff):
    _fail(client_from("127.0.0.2"), ward_staff.email, LIMIT)
    for address in ("127.0.0.1", "127.0.0.3"):  # any machine of the ward's network
        assert password_login(client_from(address), ward_staff.email).status_code == 429


def test_failures_from_one_address_do_not_lock_facility_staff_elsewhere(staff):
    """Facility staff have no staff network, but a password alone opens nothing for them: the
    lock holds for the (address, client address) pair."""
    services.enable_totp(staff)
    attacker = client_from("198.51.100.9")
    _fail(attacker, staff.email, LIMIT)
    assert password_login(attacker, staff.email, PASSWORD).status_code == 429
    assert _reaches_second_factor(password_login(client_from("10.3.0.1"), staff.email))


def test_ward_staff_from_outside_look_like_any_address_from_one_client(ward_staff):
    """From one client address every address locks after the same number of failures, with the
    same page: the lockout does not tell a ward account from an address without one."""
    staff_page = _fail(client_from(OUTSIDE[0]), ward_staff.email, LIMIT)
    nobody_page = _fail(client_from(OUTSIDE[1]), "nobody@example.jp", LIMIT)
    assert staff_page.status_code == nobody_page.status_code == 429
    assert page_text(staff_page) == page_text(nobody_page)


def test_a_password_reset_lifts_both_kinds_of_lock(staff, mailoutbox):
    client = client_from("10.3.0.2")
    _fail(client, staff.email, LIMIT)
    assert password_login(client, staff.email).status_code == 429
    client.post(reverse("account_reset_password"), {"email": staff.email})
    link = mail_link(mailoutbox[-1], "/password/reset/key/")
    form_page = client.get(link, follow=True)
    new = "a-brand-new-passphrase"
    client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert password_login(client, staff.email, new).status_code == 302
    assert logged_in_user_id(client) == str(staff.pk)
