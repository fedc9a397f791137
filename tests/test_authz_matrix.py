"""The authorization matrix: every URL route, every role, one expected answer.

The test walks the whole URL configuration; a route with no row here fails the suite, so a new
view cannot ship without saying who may reach it. Objects out of a user's reach answer 404.
Any page that shows one of the fixture children must also have left an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.families.models import ProxyGrant

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",
    "guardian",
    "proxy",
    "facility_staff",
    "facility_manager",
    "unrelated_facility_staff",
    "municipal_reviewer",
    "municipal_payments",
    "municipal_admin",
    "auditor",
    "national_operator",
    "other_ward_reviewer",
)
LOGIN = 302  # anonymous users are sent to the login page
PEOPLE = ("own_child", "other_child")  # a page that shows one of them must leave an event


@dataclass(frozen=True)
class Row:
    """Expected status per actor; ``default`` for actors not named."""

    default: int
    only: dict[str, int] = field(default_factory=dict)
    kwargs: str | None = None  # which fixture object fills the route's arguments

    def expect(self, actor: str) -> int:
        return self.only.get(actor, self.default)


def ok(*actors: str) -> dict[str, int]:
    return dict.fromkeys(actors, 200)


MUNICIPAL = ("municipal_reviewer", "municipal_payments", "municipal_admin")
FACILITY = ("facility_staff", "facility_manager", "unrelated_facility_staff")

MATRIX: dict[str, Row] = {
    "portals:home": Row(302, {"anonymous": 200}),
    "portals:guardian": Row(404, {"anonymous": LOGIN} | ok("guardian", "proxy")),
    "portals:facility": Row(404, {"anonymous": LOGIN} | ok(*FACILITY)),
    "portals:municipality": Row(
        404,
        {"anonymous": LOGIN} | ok(*MUNICIPAL, "auditor", "other_ward_reviewer"),
    ),
    "portals:national": Row(404, {"anonymous": LOGIN} | ok("national_operator")),
    "portals:child@own": Row(
        404,
        {"anonymous": LOGIN}
        | ok("guardian", "proxy", "facility_staff", "facility_manager", *MUNICIPAL),
        kwargs="own_child",
    ),
    "portals:child@other_ward": Row(
        404,
        {"anonymous": LOGIN} | ok("other_ward_reviewer"),
        kwargs="other_child",
    ),
    "set_language": Row(302),
}

#: django-allauth's account pages (sign-up, login, reset, MFA) belong to everyone; their
#: behaviour is pinned in tests/accounts. Each route still needs its name here.
ACCOUNT_ROUTES = {
    "account_signup",
    "account_login",
    "account_logout",
    "account_reauthenticate",
    "account_change_password",
    "account_set_password",
    "account_inactive",
    "account_email",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "mfa_index",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "mfa_remove_webauthn",
    "mfa_edit_webauthn",
    "mfa_login_webauthn",
    "mfa_reauthenticate_webauthn",
    "mfa_signup_webauthn",
    "mfa_trust",
    "account_login_code_confirm",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_email_verification_sent_code",
    "account_confirm_email_code",
    "account_reset_password_from_code",
    "account_confirm_password_reset_code",
    "account_request_password_reset_code",
    "account_reset_password_complete",
    "account_change_phone",
    "account_verify_phone",
}


def route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                assert p.name, f"unnamed route {p.pattern}: every route needs a name and a row"
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_has_a_row():
    covered = {name.split("@")[0] for name in MATRIX} | ACCOUNT_ROUTES
    missing = sorted(route_names() - covered)
    assert not missing, f"routes without an authorization-matrix row: {missing}"


@pytest.fixture
def world():
    """Ward A with two facilities (one related to the child), ward B with a child of its own."""
    a, b = f.municipality(name="甲区"), f.municipality(name="乙区")
    guardian, household, own_child = f.family(a, given_name="一花", given_name_kana="イチカ")
    _, _, other_child = f.family(b, family_name="試用", given_name="蒼", given_name_kana="アオイ")
    related, unrelated = f.facility(a), f.facility(a)
    f.booking(own_child, f.place_slot(related, dt.date(2026, 12, 1)), guardian)
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    users = {
        "guardian": guardian,
        "proxy": proxy,
        "facility_staff": f.user(Role.FACILITY_STAFF, facility=related),
        "facility_manager": f.user(Role.FACILITY_MANAGER, facility=related),
        "unrelated_facility_staff": f.user(Role.FACILITY_STAFF, facility=unrelated),
        "municipal_reviewer": f.user(Role.MUNICIPAL_REVIEWER, municipality=a),
        "municipal_payments": f.user(Role.MUNICIPAL_PAYMENTS, municipality=a),
        "municipal_admin": f.user(Role.MUNICIPAL_ADMIN, municipality=a),
        "auditor": f.user(Role.AUDITOR, municipality=a),
        "national_operator": f.user(Role.NATIONAL_OPERATOR),
        "other_ward_reviewer": f.user(Role.MUNICIPAL_REVIEWER, municipality=b),
    }
    for u in users.values():
        if u.needs_second_factor:
            f.second_factor(u)
    return {"users": users, "own_child": own_child, "other_child": other_child}


def url_for(key: str, row: Row, world) -> str:
    name = key.split("@")[0]
    if row.kwargs is None:
        return reverse(name)
    return reverse(name, args=[world[row.kwargs].pk])


@pytest.mark.parametrize("actor", ACTORS)
def test_matrix(client, world, actor, django_capture_on_commit_callbacks):
    if actor != "anonymous":
        login_with_second_factor(client, world["users"][actor])
    failures = []
    for key, row in MATRIX.items():
        if key == "set_language":
            response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        else:
            before = AuditEvent.objects.count()
            with django_capture_on_commit_callbacks(execute=True):
                response = client.get(url_for(key, row, world))
            shown = [c for c in PEOPLE if world[c].given_name in response.text]
            if shown and AuditEvent.objects.count() == before:
                failures.append(f"{key}: showed {shown} without an audit event")
        if response.status_code != row.expect(actor):
            failures.append(f"{key}: expected {row.expect(actor)}, got {response.status_code}")
    assert not failures, f"{actor}: " + "; ".join(failures)


def test_account_routes_answer_anonymous_get_without_error(client):
    from django.urls import NoReverseMatch

    for name in sorted(ACCOUNT_ROUTES & route_names()):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # routes that need a key from an email; exercised in tests/accounts
        assert client.get(url).status_code < 500, name
