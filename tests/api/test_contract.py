"""Contract tests (issue 13 item 3): schemathesis generates requests for every operation of the
served OpenAPI document (/api/v1/openapi.json, loaded from the application over WSGI) and calls
each with a client holding every scope of its kind. No answer may be a server error, and every
answer must be one the document declares (status, content type, headers, body schema).

Both generated kinds run: positive (valid input) and negative (input the schema forbids, which
must be refused with a documented 4xx, never a 500). Examples are limited so that the whole run
stays well under a minute."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import VISIT_DAY, make_client
from tsuen.api import scopes
from tsuen.core import clock

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 10


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def _exercise(op, mode, headers) -> list[int]:
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # Negative cases add arbitrary headers; one named Host is the web server's business
        # (Django's ALLOWED_HOSTS answers 400 before any API operation runs), not the API's.
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "host"}
        response = case.call(headers={**generated, **headers})
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    statuses: list[int] = []
    run()
    return statuses


def _from_loopback(app):
    """The WSGI application as called from this machine (REMOTE_ADDR 127.0.0.1, as Django's
    test client sends): a ward's client is bound to the ward's staff networks, and a request
    with no address would be refused before any ward operation ran."""

    def call(environ, start_response):
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return app(environ, start_response)

    return call


@pytest.fixture
def served_schema(scene, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "api_client": "100000/m/client",
        "api_public": "100000/m/ip",
    }
    # As Django's test client does: a request must not close the test's database connection
    # (its transaction holds the scene).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", _from_loopback(get_wsgi_application())
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_is_in_the_served_document(served_schema):
    paths = {f"{op.method.upper()} {op.path}" for op in _operations(served_schema)}
    assert "GET /api/v1/facility/bookings" in paths
    assert "PUT /api/v1/facility/bookings/{booking_id}/daily-record" in paths
    assert "GET /api/v1/public/facilities" in paths
    for op in _operations(served_schema):
        responses = op.definition.raw["responses"]
        assert "422" in responses, op.path  # every operation documents its errors
        if op.definition.raw.get("security") != []:
            assert {"401", "403", "404", "429"} <= set(responses), op.path


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(served_schema, scene, mode):
    _, facility_token = make_client(scene.manager, [s.name for s in scopes.for_owner("facility")])
    _, ward_token = make_client(scene.admin, [s.name for s in scopes.for_owner("ward")])
    tested, stopped = [], []
    with clock.frozen(clock.now().replace(year=VISIT_DAY.year, month=VISIT_DAY.month, day=1)):
        for op in _operations(served_schema):
            scope = op.definition.raw.get("x-scope", "")
            token = ward_token if scope.startswith("ward.") else facility_token
            headers = {"Authorization": f"Bearer {token}"}

            statuses = _exercise(op, mode, headers)
            tested.append(op.path)
            if mode == GenerationMode.POSITIVE and set(statuses) <= {401, 403}:
                stopped.append(f"{op.method.upper()} {op.path}: {sorted(set(statuses))}")
    assert len(tested) >= 10
    # Valid requests with the scope reach the operation (not all stopped at the door).
    assert not stopped, stopped
