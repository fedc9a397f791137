"""The API clients screens: a ward's administrator and a facility's manager create a client
with scopes picked from the fixed list, see its secret once, rotate it and revoke it (each
asks first); everyone else gets 404. Every write is audited."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests import factories as f
from tests.api.conftest import bearer, make_client
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.api.models import ApiClient
from tsuen.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _token(response) -> str:
    found = re.search(r'<code id="api-token">([^<]+)</code>', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(1)


def test_facility_manager_creates_rotates_and_revokes_a_client(client, scene):
    login_with_second_factor(client, scene.manager)
    base = "/facilities/staff/api-clients/"
    page = client.get(base + "new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="facility.bookings.read"' in body
    assert "ward.certifications.read" not in body  # a facility's client gets facility scopes
    made = client.post(
        base + "new/",
        {
            "name": "園の業務システム",
            "scopes": ["facility.bookings.read", "facility.attendance.write"],
        },
    )
    assert made.status_code == 200
    assert made["Cache-Control"].startswith("no-store") or "no-store" in made["Cache-Control"]
    token = _token(made)
    c = ApiClient.objects.get(name="園の業務システム")
    assert c.facility_id == scene.facility.pk
    assert AuditEvent.objects.filter(
        action="create", object_type="api.apiclient", object_id=str(c.pk), actor_id=scene.manager.pk
    ).exists()
    assert client.get("/api/v1/client", **bearer(token)).status_code == 200
    # The list shows the client, never the secret.
    listing = client.get(base).content.decode()
    assert "園の業務システム" in listing and token not in listing

    # Rotating asks first: the GET shows the effect, a POST without the token changes nothing.
    ask = client.get(f"{base}{c.pk}/rotate/")
    assert ask.status_code == 200
    assert client.post(f"{base}{c.pk}/rotate/", {}).status_code == 400
    assert client.get("/api/v1/client", **bearer(token)).status_code == 200
    confirm = re.search(r'name="confirm" value="([^"]+)"', ask.content.decode()).group(1)
    rotated = client.post(f"{base}{c.pk}/rotate/", {"confirm": confirm})
    new = _token(rotated)
    assert new != token
    assert client.get("/api/v1/client", **bearer(token)).status_code == 401
    assert client.get("/api/v1/client", **bearer(new)).status_code == 200

    ask = client.get(f"{base}{c.pk}/revoke/")
    confirm = re.search(r'name="confirm" value="([^"]+)"', ask.content.decode()).group(1)
    assert client.post(f"{base}{c.pk}/revoke/", {"confirm": confirm}).status_code == 302
    assert client.get("/api/v1/client", **bearer(new)).status_code == 401
    c.refresh_from_db()
    assert c.revoked_at is not None
    assert (
        AuditEvent.objects.filter(
            action="update", object_type="api.apiclient", object_id=str(c.pk)
        ).count()
        == 2
    )


def test_ward_admin_gets_ward_scopes_and_a_ward_role(client, scene):
    login_with_second_factor(client, scene.admin)
    base = "/municipality/api-clients/"
    body = client.get(base + "new/").content.decode()
    assert 'value="ward.certifications.read"' in body
    assert "facility.bookings.read" not in body
    made = client.post(base + "new/", {"name": "基幹システム", "scopes": ["ward.claims.read"]})
    _token(made)
    c = ApiClient.objects.get(name="基幹システム")
    assert c.municipality_id == scene.ward.pk
    assert c.user.role == Role.MUNICIPAL_PAYMENTS
    assert c.user.municipality_id == scene.ward.pk


def test_bad_input_changes_nothing(client, scene):
    login_with_second_factor(client, scene.manager)
    before = ApiClient.objects.count()
    for data in (
        {"name": "", "scopes": ["facility.bookings.read"]},
        {"name": "x"},
        {"name": "x", "scopes": ["ward.claims.read"]},
    ):
        assert client.post("/facilities/staff/api-clients/new/", data).status_code == 400
    assert ApiClient.objects.count() == before


def test_other_tenants_and_roles_get_404(client, scene):
    from tests.api.conftest import make_client

    theirs, _ = make_client(scene.other_manager, ["facility.bookings.read"])
    login_with_second_factor(client, scene.manager)
    for path in ("rotate", "revoke"):
        url = f"/facilities/staff/api-clients/{theirs.pk}/{path}/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"confirm": "x"}).status_code == 404
    assert client.get("/municipality/api-clients/").status_code == 404
    staff = f.user(Role.FACILITY_STAFF, facility=scene.facility)
    f.second_factor(staff)
    client.logout()
    login_with_second_factor(client, staff)
    assert client.get("/facilities/staff/api-clients/").status_code == 404


def test_a_clients_system_user_is_in_no_staff_list_and_counts_as_no_administrator(scene):
    """An API client acts through a user account of its own (the one authorization layer), but
    that account is run from the clients screen only: no staff list shows it, no staff screen
    reaches it, and it is neither a ward's administrator nor staff without a second factor."""
    from django.http import Http404

    from tsuen.core import tenancy
    from tsuen.facilities import services_staff as facility_staff
    from tsuen.municipalities import services_staff as ward_staff
    from tsuen.opsreport import services as opsreport

    ward_client, _ = make_client(
        scene.admin,
        ["ward.certifications.read", "ward.fee_classes.write", "ward.claims.read"],
        name="税務連携",
    )
    facility_client, _ = make_client(scene.manager, ["facility.bookings.read"], name="園の連携")
    assert ward_client.user.role == Role.MUNICIPAL_ADMIN  # the role its scopes need
    with tenancy.tenant(scene.ward.pk):
        members = ward_staff.staff_page(scene.admin).members
        assert scene.admin in members and ward_client.user not in members
        with pytest.raises(Http404):
            ward_staff.member(scene.admin, ward_client.user.pk)
        # The last person administering the ward stays the last one, whatever the clients.
        assert ward_staff._other_active_administrators(scene.ward, scene.admin) == 0
        factors = opsreport.second_factors(scene.ward.pk, with_names=True)
    assert {m.email for m in factors.missing}.isdisjoint(
        {ward_client.user.email, facility_client.user.email}
    )
    with tenancy.cross_tenant("test"):
        team = facility_staff.team(scene.manager).members
    assert scene.manager in team and facility_client.user not in team


def test_the_list_names_its_column_as_a_systems_name_in_japanese(client, scene):
    """The client list's first column is the system's name, not a person's (氏名)."""
    make_client(scene.manager, ["facility.bookings.read"], name="園の業務システム")
    login_with_second_factor(client, scene.manager)
    with translation.override("ja"):
        body = client.get("/facilities/staff/api-clients/", HTTP_ACCEPT_LANGUAGE="ja").content
    header = body.decode().split("<tbody")[0]
    assert "システムの名前" in header and "氏名" not in header
