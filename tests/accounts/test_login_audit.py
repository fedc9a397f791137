"""Logins, failed logins, logouts and lockouts are audit events (accounts.login_audit): on the
account's municipality's chain (staff) or the national chain, naming the account but never the
address that was typed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.urls import reverse

from tests.accounts.conftest import (
    PASSWORD,
    client_from,
    enter_code,
    logged_in_user_id,
    password_login,
)
from tsuen.accounts import services
from tsuen.accounts.models import Role
from tsuen.audit import verify_all
from tsuen.audit.models import AuditEvent
from tsuen.audit.sequencer import seal

pytestmark = pytest.mark.django_db


@pytest.fixture
def audited(django_capture_on_commit_callbacks):
    """Run requests with the audit trail's on-commit writes executed."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def ward_staff(muni):
    return services.create_user(
        "kuyakusho@example.jp", PASSWORD, Role.MUNICIPAL_REVIEWER, municipality=muni
    )


def events(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def assert_holds_no_typed_address(event: AuditEvent, typed: str) -> None:
    values = model_to_dict(event) | {"object_id": event.object_id}
    text = repr(values).lower()
    assert typed.lower() not in text and typed.split("@")[0].lower() not in text


def test_a_guardian_login_is_recorded_on_the_national_chain(guardian, audited):
    client = client_from("10.5.0.1")
    audited(password_login, client, guardian.email)
    assert logged_in_user_id(client) == str(guardian.pk)
    seal()  # the chain is given by the sequencer
    [event] = events("login")
    assert (event.actor_id, event.actor_role) == (guardian.pk, Role.GUARDIAN)
    assert (event.object_type, event.object_id) == ("accounts.user", str(guardian.pk))
    assert event.municipality_id is None and event.chain.key == "national"
    assert event.source_address == "10.5.0.1"


def test_a_staff_login_is_recorded_when_every_step_passed_on_the_wards_chain(ward_staff, audited):
    secret = services.enable_totp(ward_staff)
    client = client_from("127.0.0.1")  # the test ward's staff network is this machine
    audited(password_login, client, ward_staff.email)
    assert events("login") == []  # password alone is not a login
    audited(enter_code, client, secret)
    assert logged_in_user_id(client) == str(ward_staff.pk)
    seal()  # the chain is given by the sequencer
    [event] = events("login")
    assert event.actor_id == ward_staff.pk
    assert event.municipality_id == ward_staff.municipality_id
    assert event.chain.key == f"municipality:{ward_staff.municipality_id}"


def test_facility_staff_logins_go_to_the_facilitys_municipality(staff, facility, audited):
    secret = services.enable_totp(staff)
    client = client_from("10.5.0.2")
    audited(password_login, client, staff.email)
    audited(enter_code, client, secret)
    [event] = events("login")
    assert event.municipality_id == facility.municipality_id


def test_a_wrong_password_is_recorded_against_the_account_not_the_address(guardian, audited):
    typed = "HOGOSHA@example.JP"
    audited(password_login, client_from("10.5.0.3"), typed, "wrong-password-here")
    [event] = events("login_failed")
    assert event.actor_id is None and event.actor_role == "anonymous"
    assert (event.object_type, event.object_id) == ("accounts.user", str(guardian.pk))
    assert event.source_address == "10.5.0.3"
    assert_holds_no_typed_address(event, typed)


def test_a_staff_members_failed_login_goes_to_the_wards_chain(ward_staff, audited):
    audited(password_login, client_from("127.0.0.1"), ward_staff.email, "wrong-password-here")
    [event] = events("login_failed")
    assert event.municipality_id == ward_staff.municipality_id
    assert event.object_id == str(ward_staff.pk)


def test_an_address_without_an_account_leaves_nothing_identifying(guardian, audited):
    typed = "stranger.tanaka@example.jp"
    audited(password_login, client_from("10.5.0.4"), typed, "wrong-password-here")
    [event] = events("login_failed")
    assert (event.object_type, event.object_id, event.municipality_id) == ("", "", None)
    assert event.actor_id is None
    assert_holds_no_typed_address(event, typed)


def test_a_wrong_second_factor_is_a_failed_login_of_the_account(staff, audited):
    from allauth.mfa.models import Authenticator

    services.enable_totp(staff)
    client = client_from("10.5.0.5")
    audited(password_login, client, staff.email)
    audited(client.post, reverse("mfa_authenticate"), {"code": "000000"})
    [event] = events("login_failed")
    totp = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    assert (event.object_type, event.object_id) == ("mfa.authenticator", str(totp.pk))
    assert event.actor_id == staff.pk
    assert events("login") == []


def test_logging_out_is_recorded(guardian, audited):
    client = client_from("10.5.0.6")
    password_login(client, guardian.email)
    audited(client.post, reverse("account_logout"))
    assert logged_in_user_id(client) is None
    [event] = events("logout")
    assert (event.actor_id, event.object_id) == (guardian.pk, str(guardian.pk))
    assert event.source_address == "10.5.0.6"


def test_a_lockout_is_recorded_once(guardian, audited):
    client = client_from("10.5.0.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        audited(password_login, client, guardian.email, "wrong-password-here")
    assert audited(password_login, client, guardian.email).status_code == 429
    [event] = events("lockout")
    assert (event.object_type, event.object_id) == ("accounts.user", str(guardian.pk))
    assert event.actor_id is None and event.source_address == "10.5.0.7"
    assert len(events("login_failed")) == settings.AXES_FAILURE_LIMIT


def test_a_lockout_of_an_address_without_account_names_nothing(audited):
    client = client_from("10.5.0.8")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        audited(password_login, client, "nobody.sato@example.jp", "wrong-password-here")
    [event] = events("lockout")
    assert (event.object_type, event.object_id, event.municipality_id) == ("", "", None)
    assert_holds_no_typed_address(event, "nobody.sato@example.jp")


def test_the_chains_verify_after_logins(guardian, ward_staff, audited):
    audited(password_login, client_from("10.5.0.9"), guardian.email)
    audited(password_login, client_from("127.0.0.1"), ward_staff.email, "wrong-password-here")
    audited(password_login, client_from("10.5.0.9"), "nobody@example.jp", "wrong-password-here")
    assert all(result.ok for result in verify_all())


def test_a_failed_password_reconfirmation_is_the_signed_in_users(guardian, audited):
    client = client_from("10.5.0.10")
    password_login(client, guardian.email)
    audited(client.post, reverse("account_reauthenticate"), {"password": "wrong-password-here"})
    [event] = events("login_failed")
    assert (event.actor_id, event.object_id) == (guardian.pk, str(guardian.pk))
