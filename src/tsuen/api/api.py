"""The versioned HTTP API at ``/api/v1/`` (docs/api.md): one NinjaAPI, one router per kind of
caller, every error as problem+json.

Each router registers in ``_register`` (one line), each operation declared with
``tsuen.api.security.operation``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputError

from tsuen.api import problems as pj
from tsuen.api.security import ClientBearer

VERSION = "1"


class TsuenApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = pj.Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for name, sub in components["Problem"].pop("$defs", {}).items():
            components[name] = sub
        for item in schema["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and "responses" in op:
                    op["responses"] = {
                        str(k): v
                        for k, v in sorted(op["responses"].items(), key=lambda kv: str(kv[0]))
                    }
        return schema


api = TsuenApi(
    title="tsuen API",
    version=VERSION,
    description=(
        "The API of tsuen (こども誰でも通園制度の総合支援システム) for facility and ward systems. "
        "See docs/api.md for authentication, scopes, errors, cursors, ETags and rate limits."
    ),
    auth=ClientBearer(),
    urls_namespace="api:apiv1",
    docs_url=None,  # ours: tsuen.api.views_docs (no CDN assets under our CSP)
    openapi_url="/openapi.json",
)


SOURCES = ("body", "query", "path", "header", "cookie", "form", "file")


def _input_items(errors) -> list[dict]:
    """ninja's validation errors as problem items: ``loc`` is (source, parameter, field...);
    the field is named from the parameter's schema on (``temperature``, not
    ``body.data.temperature``)."""
    items = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        if loc and loc[0] in SOURCES:
            loc = loc[2:] if len(loc) >= 3 else loc[1:]
        items.append(
            {"field": ".".join(loc), "message": str(e.get("msg", "")), "code": e.get("type", "")}
        )
    return items


@api.exception_handler(pj.ApiError)
def _api_error(request, exc):
    return pj.of(exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return pj.response(401, _("A valid API token is required (Authorization: Bearer ...)."))


@api.exception_handler(InputError)
def _invalid_input(request, exc):
    return pj.response(
        422, _("The request is not valid: see errors."), errors=_input_items(exc.errors)
    )


@api.exception_handler(ValidationError)
def _refused(request, exc):
    """A service's refusal: 422 when it names fields (invalid input), 409 when it refuses the
    action in the current state (already checked in, not the day of the visit, ...)."""
    items = pj.validation_items(exc)
    detail = items[0]["message"] if len(items) == 1 else _("The request is not valid: see errors.")
    status = 422 if hasattr(exc, "error_dict") else 409
    return pj.response(status, detail, errors=items)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return pj.response(404, pj.not_found())


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return pj.response(403, str(exc) or _("Not allowed."))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400:  # a body that is not JSON: invalid input like any other
        message = _("The request body is not valid JSON.")
        return pj.response(
            422, message, errors=[{"field": "", "message": message, "code": "json_invalid"}]
        )
    return pj.response(exc.status_code, str(exc))


def _register() -> None:
    from tsuen.api import client, facility, public, ward
    from tsuen.incident.guard import WardReadOnly

    @api.exception_handler(WardReadOnly)
    def _read_only(request, exc):
        return pj.response(423, _("The ward is read-only for now (emergency switch)."))

    # One line per router (issue 13: the facility's and the ward's operations add theirs).
    api.add_router("/public", public.router)
    api.add_router("/client", client.router)
    api.add_router("/facility", facility.router)
    api.add_router("/ward", ward.router)


_register()
