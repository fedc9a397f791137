"""The authorization matrix: every URL route, every actor, one expected answer.

The test walks the whole URL configuration; a route with no row fails the suite, so a new view
cannot ship without saying who may reach it. Rows live per bounded context in tests/matrix/.
Objects out of a user's reach answer 404. Any page that shows one of the world's children must
also have left an audit event.
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.exports.support import forget_reauthentication, reauthenticate
from tests.matrix.base import ACTORS, Row
from tests.matrix.world import PEOPLE, build_world, row_modules
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def matrix() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for module in row_modules():
        clash = rows.keys() & module.ROWS.keys()
        assert not clash, f"rows defined twice: {clash}"
        rows |= module.ROWS
    return rows


#: django-allauth's account pages (sign-up, login, reset, MFA) belong to everyone; their
#: behaviour is pinned in tests/accounts. Each route still needs its name here.
ACCOUNT_ROUTES = {
    "account_signup", "account_login", "account_logout", "account_reauthenticate",
    "account_change_password", "account_set_password", "account_inactive", "account_email",
    "account_email_verification_sent", "account_confirm_email", "account_reset_password",
    "account_reset_password_done", "account_reset_password_from_key",
    "account_reset_password_from_key_done", "mfa_index", "mfa_authenticate", "mfa_reauthenticate",
    "mfa_activate_totp", "mfa_deactivate_totp", "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes", "mfa_download_recovery_codes", "mfa_list_webauthn",
    "mfa_add_webauthn", "mfa_remove_webauthn", "mfa_edit_webauthn", "mfa_login_webauthn",
    "mfa_reauthenticate_webauthn", "mfa_signup_webauthn", "mfa_trust",
    "account_login_code_confirm", "account_request_login_code", "account_confirm_login_code",
    "account_email_verification_sent_code", "account_confirm_email_code",
    "account_reset_password_from_code", "account_confirm_password_reset_code",
    "account_request_password_reset_code", "account_reset_password_complete",
    "account_change_phone", "account_verify_phone",
}  # fmt: skip


def route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern):
                assert p.name, f"unnamed route {p.pattern}: every route needs a name and a row"
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_has_a_row():
    covered = {name.split("@")[0] for name in matrix()} | ACCOUNT_ROUTES
    missing = sorted(route_names() - covered)
    assert not missing, f"routes without an authorization-matrix row: {missing}"


def test_every_row_names_a_route():
    unknown = sorted({name.split("@")[0] for name in matrix()} - route_names())
    assert not unknown, f"matrix rows for routes that do not exist: {unknown}"


@pytest.mark.parametrize("actor", ACTORS)
def test_matrix(client, actor, django_capture_on_commit_callbacks):
    world = build_world()
    if actor != "anonymous":
        login_with_second_factor(client, world["users"][actor])
    failures = []
    for key, row in matrix().items():
        url = reverse(key.split("@")[0], args=row.args(world) if row.args else None)
        before = AuditEvent.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            if row.reauthenticated and actor != "anonymous":
                reauthenticate(client)
            send = getattr(client, row.method)
            response = send(url, row.data(world)) if row.data else send(url)
            if row.reauthenticated and actor != "anonymous":
                forget_reauthentication(client)
        body = response.content.decode(errors="replace") if not response.streaming else ""
        shown = [c for c in PEOPLE if world[c].given_name in body]
        if shown and AuditEvent.objects.count() == before:
            failures.append(f"{key}: showed {shown} without an audit event")
        if response.status_code != row.expect(actor):
            failures.append(f"{key}: expected {row.expect(actor)}, got {response.status_code}")
    assert not failures, f"{actor}: " + "; ".join(failures)


def test_account_routes_answer_anonymous_get_without_error(client):
    for name in sorted(ACCOUNT_ROUTES & route_names()):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # routes that need a key from an email; exercised in tests/accounts
        assert client.get(url).status_code < 500, name
