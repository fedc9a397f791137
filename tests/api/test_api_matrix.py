"""The API's authorization matrix (issue 13 item 3): every operation of the served document x
credentials x tenant.

* no token, or a revoked one: 401;
* a client that holds every scope of its kind but this operation's: 403;
* a client with the scope, on another tenant's object: 404 (a list never shows it);
* a client with the scope, on its own object: neither 401, 403 nor 404.

Rows live in ``tests/api/ops_*.py`` (one module per kind of client); an operation without a
row fails the suite, so a new operation cannot ship without saying who may call it."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil

import pytest
from django.utils import timezone

import tests.api as package
from tests.api.conftest import VISIT_DAY, make_client
from tsuen.api import scopes
from tsuen.api import services as api_services
from tsuen.api.api import api
from tsuen.core import clock, tenancy

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")
#: Operations every caller may call (no scope): public, or any live client.
OPEN = {"GET /api/v1/public/facilities": 200, "GET /api/v1/client": None}


def _modules() -> list:
    return [
        importlib.import_module(f"tests.api.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("ops_")
    ]


def rows() -> dict:
    found = {}
    for module in _modules():
        assert not found.keys() & module.OPS.keys()
        found |= module.OPS
    return found


def extend(scene) -> None:
    """The objects a module's rows need, added to the scene (``extend(scene)``, optional)."""
    for module in _modules():
        if hasattr(module, "extend"):
            module.extend(scene)


def operations() -> dict[str, dict]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return {
        f"{method.upper()} {path}": item[method]
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    }


def test_every_operation_has_a_row():
    missing = sorted(set(operations()) - set(rows()) - set(OPEN))
    assert not missing, f"API operations without a row in tests/api/ops_*.py: {missing}"
    unknown = sorted(set(rows()) - set(operations()))
    assert not unknown, f"rows for operations that do not exist: {unknown}"


def _revoke(c):
    with tenancy.cross_tenant("test"):
        found = api_services.client(c.created_by, c.pk)
        api_services.revoke(
            c.created_by, c.pk, confirm_token=api_services.change_token(found, "revoke")
        )


def _call(client, key, row, scene, token, *, other=False):
    method, template = key.split(" ", 1)
    path = template
    for name, attr in row.params.items():
        obj = getattr(scene, f"other_{attr}" if other else attr)
        path = path.replace("{" + name + "}", str(obj.pk))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if row.if_match:
        headers["HTTP_IF_MATCH"] = '"stale"'
    send = getattr(client, method.lower())
    if method == "GET":
        return send(path, row.query, **headers)
    body = row.body_for(scene, other) if row.body_for else row.body or {}
    return send(path, json.dumps(body), content_type="application/json", **headers)


def test_the_api_matrix(client, scene, settings):
    from tsuen.billing.models import Claim

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_client": "100000/m/client"}
    scene.claim = Claim.objects.create(
        facility=scene.facility, paying_municipality=scene.ward, year=2026, month=11
    )
    scene.other_claim = Claim.objects.create(
        facility=scene.other_facility, paying_municipality=scene.other_ward, year=2026, month=11
    )
    extend(scene)
    ops, table = operations(), rows()
    clients = {}
    for kind, owner in (("facility", scene.manager), ("ward", scene.admin)):
        names = [s.name for s in scopes.for_owner(kind)]
        clients[kind, None] = make_client(owner, names)[1]
        for name in names:
            clients[kind, name] = make_client(owner, [n for n in names if n != name] or names)[1]
    revoked, revoked_token = make_client(scene.manager, ["facility.bookings.read"])
    _revoke(revoked)
    failures = []
    at = dt.datetime.combine(VISIT_DAY, dt.time(10, 5), tzinfo=timezone.get_current_timezone())
    with clock.frozen(at):
        for key, op in sorted(ops.items()):
            if key in OPEN:
                continue
            row, scope = table[key], op["x-scope"]
            kind = scope.split(".")[0]

            def expect(label, response, allowed, key=key):
                if response.status_code not in allowed:
                    failures.append(f"{key} {label}: {response.status_code} not in {allowed}")

            expect("no token", _call(client, key, row, scene, None), {401})
            expect("revoked", _call(client, key, row, scene, revoked_token), {401})
            without = clients[kind, scope]
            expect("without scope", _call(client, key, row, scene, without), {403})
            other_kind = "ward" if kind == "facility" else "facility"
            expect(
                "other kind's client",
                _call(client, key, row, scene, clients[other_kind, None]),
                {403},
            )
            token = clients[kind, None]
            theirs = _call(client, key, row, scene, token, other=True)
            if row.listed:
                expect("other tenant (list)", theirs, {200})
                ids = [item["id"] for item in theirs.json()["items"]]
                if getattr(scene, f"other_{row.listed}").pk in ids:
                    failures.append(f"{key}: lists the other tenant's {row.listed}")
                if getattr(scene, row.listed).pk not in ids:
                    failures.append(f"{key}: does not list the own {row.listed}")
            else:
                expect("other tenant", theirs, {row.other_status})
            own = _call(client, key, row, scene, token)
            expect("own", own, {200, 409, 412})
    assert not failures, "\n".join(failures)
