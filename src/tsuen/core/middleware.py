"""Per-request context: the acting user for the audit trail and the tenant scope."""

from __future__ import annotations

from tsuen.core import context, tenancy


def client_address(request) -> str | None:
    # Behind a trusted reverse proxy, set REMOTE_ADDR there (e.g. gunicorn --forwarded-allow-ips);
    # we never trust a client-supplied X-Forwarded-For here.
    return request.META.get("REMOTE_ADDR")


def scope_for(user):
    """Municipal staff and auditors work inside their ward; everyone else is narrowed by the
    authorization layer's relationship rules instead."""
    if user.is_authenticated and user.is_municipal and user.municipality_id:
        return tenancy.tenant(user.municipality_id)
    return tenancy.cross_tenant("relationship-scoped by tsuen.authz")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor = context.actor_for(request.user, client_address(request))
        request.actor = actor
        with context.acting_as(actor), scope_for(request.user):
            return self.get_response(request)
