"""The API's framework: the OpenAPI document, the docs page, bearer authentication, scopes,
problem+json errors, rate limits, the ward's networks, and the public operation."""

from __future__ import annotations

import re

import pytest

from tests import factories as f
from tests.api.conftest import bearer, make_client
from tsuen.api.models import ApiClient
from tsuen.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_openapi_document_is_3_1_with_problem_responses(client, scene):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert "Problem" in schema["components"]["schemas"]
    op = schema["paths"]["/api/v1/public/facilities"]["get"]
    assert op["security"] == []
    assert "application/problem+json" in op["responses"]["429"]["content"]


def test_every_operation_documents_every_problem_it_can_answer(client, scene):
    """Done when of issue 13: the document is complete, every operation with every error: a
    client operation's 401/403/404/422/429/503, a public one's 422/429/503, a write's 423
    (a read-only ward), and the problems each operation declares of its own."""
    schema = client.get("/api/v1/openapi.json").json()
    seen = 0
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            seen += 1
            public = op.get("security") == []
            expected = {"422", "429", "503"} | (set() if public else {"401", "403", "404"})
            if method != "get":
                expected.add("423")
            documented = set(op["responses"])
            assert expected <= documented, (method, path, sorted(expected - documented))
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in answer["content"], (method, path)
    assert seen >= 16


def test_docs_page_lists_operations_without_external_assets(client, scene):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/public/facilities" in body
    # Nothing loaded from elsewhere (no CDN: the CSP allows our own origin only). Not a
    # search for "cdn": a random CSRF token or nonce in the page may contain those letters.
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', body), body


def test_public_facilities_lists_free_places(client, scene):
    response = client.get("/api/v1/public/facilities", {"limit": 1})
    assert response.status_code == 200, response.content
    page = response.json()
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    ids = {page["items"][0]["id"]}
    while page["next_cursor"]:
        page = client.get(
            "/api/v1/public/facilities", {"limit": 1, "cursor": page["next_cursor"]}
        ).json()
        ids |= {i["id"] for i in page["items"]}
    assert {scene.facility.pk, scene.other_facility.pk} <= ids


def test_public_bad_cursor_is_422_problem(client, scene):
    response = client.get("/api/v1/public/facilities", {"cursor": "forged"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "cursor"


def test_secret_is_stored_hashed_and_client_acts_as_its_own_system_user(scene):
    c, token = make_client(scene.manager, ["facility.bookings.read"])
    assert token.split("_")[2] not in c.secret_hash
    assert c.user.facility_id == scene.facility.pk
    assert c.user.role == "facility_staff"
    assert not c.user.has_usable_password()
    assert ApiClient.objects.get(pk=c.pk).scopes == ["facility.bookings.read"]


# --- authentication ---------------------------------------------------------------------------


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_client_me_with_valid_token(client, scene):
    c, token = make_client(scene.manager, ["facility.bookings.read"])
    response = client.get("/api/v1/client", **bearer(token))
    assert response.status_code == 200, response.content
    assert response.json()["name"] == c.name
    assert response.json()["owner"] == "facility"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer nonsense",
        "Bearer tsuen_000000000000_wrong",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_missing_or_unknown_token_is_401(client, scene, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/client", **extra)
    _problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_secret_with_a_real_prefix_is_401(client, scene):
    _, token = make_client(scene.manager, ["facility.bookings.read"])
    forged = token[: token.rindex("_") + 1] + "x" * 43
    _problem(client.get("/api/v1/client", **bearer(forged)), 401)


def test_revoked_and_rotated_tokens_are_401(client, scene):
    from tsuen.api import services
    from tsuen.core import tenancy

    c, token = make_client(scene.manager, ["facility.bookings.read"])
    with tenancy.cross_tenant("test"):
        found = services.client(scene.manager, c.pk)
        new = services.rotate(
            scene.manager, c.pk, confirm_token=services.change_token(found, "rotate")
        ).token
    _problem(client.get("/api/v1/client", **bearer(token)), 401)
    assert client.get("/api/v1/client", **bearer(new)).status_code == 200
    with tenancy.cross_tenant("test"):
        found = services.client(scene.manager, c.pk)
        services.revoke(scene.manager, c.pk, confirm_token=services.change_token(found, "revoke"))
    _problem(client.get("/api/v1/client", **bearer(new)), 401)


def test_ward_client_outside_the_wards_networks_is_403_and_audited(client, db):
    ward = f.municipality(staff_networks=("10.20.0.0/16",))
    admin = f.user("municipal_admin", municipality=ward)
    c, token = make_client(admin, ["ward.facilities.read"])
    body = _problem(client.get("/api/v1/client", **bearer(token)), 403)
    assert body["type"].endswith("outside-network")
    assert AuditEvent.objects.filter(action="denied", actor_id=c.user_id).exists()
    inside = client.get("/api/v1/client", REMOTE_ADDR="10.20.1.2", **bearer(token))
    assert inside.status_code == 200


def test_rate_limit_per_client_is_429_with_retry_after(client, scene, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_client": "3/m/client"}
    _, token = make_client(scene.manager, ["facility.bookings.read"])
    _, other = make_client(scene.other_manager, ["facility.bookings.read"])
    for _ in range(3):
        assert client.get("/api/v1/client", **bearer(token)).status_code == 200
    response = client.get("/api/v1/client", **bearer(token))
    _problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    assert client.get("/api/v1/client", **bearer(other)).status_code == 200


def test_a_call_notes_when_the_client_was_last_used(client, scene):
    c, token = make_client(scene.manager, ["facility.bookings.read"])
    ApiClient.objects.filter(pk=c.pk).update(last_used_at=None)
    assert client.get("/api/v1/client", **bearer(token)).status_code == 200
    assert ApiClient.objects.get(pk=c.pk).last_used_at is not None


def test_a_role_turned_off_stops_the_clients_acting_in_it(client, scene):
    from tsuen.core import clock
    from tsuen.incident.models import EmergencySwitch, Kind

    _, token = make_client(scene.manager, ["facility.places.read"])  # acts as the manager
    _, other = make_client(scene.other_manager, ["facility.places.read"])
    EmergencySwitch.objects.create(
        kind=Kind.DISABLE_ROLE,
        municipality=scene.ward,
        role="facility_manager",
        reason="漏えいの疑い",
        started_by=scene.admin,
        started_at=clock.now(),
    )
    body = _problem(client.get("/api/v1/client", **bearer(token)), 403)
    assert body["type"].endswith("role-off")
    assert client.get("/api/v1/client", **bearer(other)).status_code == 200


def test_docs_page_tells_public_from_token_operations(client, scene):
    body = client.get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    me = body[body.index("GET /api/v1/client") :][:600]
    assert "public" not in me
    public = body[body.index("GET /api/v1/public/facilities") :][:600]
    assert "public" in public
