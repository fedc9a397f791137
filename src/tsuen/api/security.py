"""Who calls: the bearer token, and what every client operation checks before it runs.

``operation(router, "get", "/path", scope="facility.bookings.read", ...)`` declares one
operation. Before the function runs, in this order:

1. the token names a live client (ninja's bearer auth, :class:`ClientBearer`): else 401;
2. a ward's client calls from one of the ward's staff networks (SECURITY.md item 5, the same
   check as for the ward's staff, ``municipalities.lgwan``): else 403, an audit event;
3. no emergency switch turns the client's role off: else 403;
4. the client holds the operation's scope: else 403;
5. the client is within its rate limit (``core.ratelimit``, ``RATE_LIMITS["api_client"]``,
   counted per client): else 429 with Retry-After.

The function then runs *as the client's system user*: the audit actor is that user (so every
event names the client, docs/api.md "Audit"), the tenant scope is the user's (a ward client
works inside its ward), and the services decide reach through ``tsuen.authz.policy`` exactly
as for a person (404 outside reach). ``request.auth`` is the client, ``request.auth.user`` its
system user.

``scope=None`` (not public): any live client may call it (``GET /client``). Public operations
(``scope=None, public=True``) need no token and count per client address
(``RATE_LIMITS["api_public"]``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from tsuen.api import problems as pj
from tsuen.api import scopes, services
from tsuen.api.models import ApiClient
from tsuen.core import context, dates, ratelimit
from tsuen.core.middleware import client_address, scope_for

#: The problems every client operation may answer; ``problems=`` adds an operation's own
#: (409, 412, 428, ...).
CLIENT_PROBLEMS = (401, 403, 404, 422, 429, 503)
PUBLIC_PROBLEMS = (422, 429, 503)
#: A write may also meet a ward made read-only by an emergency switch (docs/incident.md).
WRITE_PROBLEMS = (423,)


class ClientBearer(HttpBearer):
    """``Authorization: Bearer tsuen_<prefix>_<secret>``."""

    openapi_description = "An API client's token (docs/api.md, Authentication)."

    def authenticate(self, request, token: str) -> ApiClient | None:
        return services.authenticate(token)


def _retry(request, action: str, **keys) -> None:
    try:
        wait = ratelimit.hit(request, action, **keys)
    except ratelimit.CACHE_ERRORS as error:
        raise pj.ApiError(
            503, _("Please try again shortly."), headers={"Retry-After": "60"}
        ) from error
    if wait is not None:
        raise pj.ApiError(
            429,
            _("Too many requests in a short time. Please try again later."),
            headers={"Retry-After": str(wait)},
        )


def _role_turned_off(user) -> bool:
    """An emergency switch turns the client's role off (nationally or in its ward), as it does
    for people (docs/incident.md); a read-only ward's writes are refused by the write guard
    (423)."""
    from tsuen.incident.guard import live_switches
    from tsuen.incident.models import Kind

    off = [s for s in live_switches(None) if s.kind == Kind.DISABLE_ROLE and s.role == user.role]
    if not off:
        return False
    ward = dates.ward_of(user)
    return any(s.municipality_id is None or (ward and s.municipality_id == ward.pk) for s in off)


def admit(request, client: ApiClient, scope: str | None) -> None:
    """Steps 2-5 above (raises :class:`pj.ApiError`)."""
    from tsuen.audit import record
    from tsuen.municipalities import lgwan

    address = client_address(request)
    if client.municipality_id and not lgwan.allowed(client.municipality_id, address):
        with context.acting_as(context.actor_for(client.user, address)):
            record("denied", None, municipality_id=client.municipality_id)
        raise pj.ApiError(
            403,
            _("This client may call only from its ward's staff networks."),
            kind="outside-network",
        )
    if _role_turned_off(client.user):
        raise pj.ApiError(
            403,
            _("This client's role is turned off for now (emergency switch)."),
            kind="role-off",
        )
    if scope is not None and scope not in client.scopes:
        raise pj.ApiError(
            403,
            _("This client does not hold the scope %(scope)s.") % {"scope": scope},
            kind="missing-scope",
        )
    _retry(request, "api_client", client=str(client.pk))


def operation(
    router,
    method: str,
    path: str,
    *,
    scope: str | None,
    public: bool = False,
    problems: tuple[int, ...] = (),
    **options,
) -> Callable:
    """Declare one operation on ``router`` (see the module's docstring)."""
    if scope is not None and scope not in scopes.NAMES:
        raise ValueError(f"unknown scope {scope}")
    if public and scope is not None:
        raise ValueError("a public operation needs no scope")
    statuses = (PUBLIC_PROBLEMS if public else CLIENT_PROBLEMS) + tuple(problems)
    if method != "get":
        statuses += WRITE_PROBLEMS
    statuses = sorted(set(statuses))
    extra = options.pop("openapi_extra", {}) or {}
    extra = {**extra, "responses": {**pj.documented(*statuses), **extra.get("responses", {})}}
    if scope is not None:
        extra["x-scope"] = scope
        note = f"Scope: `{scope}`."
        options["description"] = f"{options.get('description', '')}\n\n{note}".strip()
    if public:
        options["auth"] = None
        extra["security"] = []  # explicitly: no credentials

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def view(request, *args, **kwargs):
            if public:
                _retry(request, "api_public")
                return fn(request, *args, **kwargs)
            client = request.auth
            admit(request, client, scope)
            user = client.user
            actor = context.actor_for(user, client_address(request))
            with (
                context.acting_as(actor),
                scope_for(user),
                dates.ward_style(lambda: dates.ward_of(user)),
            ):
                services.touch(client)
                return fn(request, *args, **kwargs)

        getattr(router, method)(path, openapi_extra=extra, **options)(view)
        return fn

    return decorate
