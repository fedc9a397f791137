"""Errors as ``application/problem+json`` (RFC 9457): type, title, status, detail, and for 422
an ``errors`` list (one entry per field or row). Every operation documents the problems it can
answer (``responses``)."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema

CONTENT_TYPE = "application/problem+json"
#: The problem types, documented in docs/api.md ("Errors").
TYPE_BASE = "https://tsuen.example.jp/problems/"


class ProblemItem(Schema):
    field: str
    message: str
    code: str = ""


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None


class ApiError(Exception):
    """Raised anywhere inside an operation: answered as a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.errors = errors
        self.headers = headers or {}


#: The type slug of each status.
KINDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    422: "invalid",
    423: "locked",
    428: "precondition-required",
    429: "too-many-requests",
    503: "unavailable",
}


def response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "type": TYPE_BASE + (kind or KINDS.get(status, "error")),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    answer = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    answer["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        answer[name] = value
    if status == 401:
        answer["WWW-Authenticate"] = 'Bearer realm="tsuen"'
    return answer


def of(error: ApiError) -> HttpResponse:
    return response(
        error.status, error.detail, kind=error.kind, errors=error.errors, headers=error.headers
    )


def validation_items(error) -> list[dict]:
    """A Django ``ValidationError`` as problem items (field ``""`` for the whole input)."""
    items = []
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                items.append(
                    {
                        "field": "" if field == "__all__" else field,
                        "message": _message(e),
                        "code": e.code or "",
                    }
                )
    else:
        for e in error.error_list:
            items.append({"field": "", "message": _message(e), "code": e.code or ""})
    return items


def _message(e) -> str:
    message = e.message
    if e.params:
        message = message % e.params
    return str(message)


def not_found() -> str:
    return _("Not found, or not within this client's reach.")


# --- How the OpenAPI document describes them ---------------------------------------------------

DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid credentials (missing, unknown, rotated or revoked)",
    403: "The client lacks this operation's scope, or calls from outside its ward's networks",
    404: "Not found, or outside the client's reach",
    409: "Refused in the current state (the reason in detail)",
    412: "The If-Match validator is stale: read the object again",
    422: "Invalid input (errors lists each field)",
    423: "The ward is read-only (emergency switch)",
    428: "If-Match is required for this write",
    429: "Rate limit reached: retry after Retry-After seconds",
    503: "The rate-limit store is unreachable: retry after Retry-After seconds",
}


def documented(*statuses: int) -> dict:
    """The ``responses`` of an operation's OpenAPI entry for these problem statuses."""
    return {
        str(status): {
            "description": DESCRIPTIONS[status],
            "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            **(
                {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                if status in (429, 503)
                else {}
            ),
        }
        for status in statuses
    }
