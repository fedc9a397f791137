"""Per-request context: the client's address, the acting user for the audit trail and the
tenant scope."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

from tsuen.authz.policy import conditions_remembered
from tsuen.core import context, dates, tenancy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request) -> str | None:
    """The address of the client that sent ``request``: the one place tsuen decides it (the
    audit trail's source address, the staff network check, lockout and rate limits).

    ``REMOTE_ADDR`` is the peer that connected to us. Only when that peer is one of
    ``settings.TRUSTED_PROXIES`` (TSUEN_TRUSTED_PROXIES) is X-Forwarded-For read, from the right:
    each trusted proxy appends the address it saw, so the right-most entry that is not itself a
    trusted proxy is the client; everything to its left was written by the client and may be
    forged. A request from any other peer is attributed to that peer, whatever headers it
    carries. Fails safe: an entry that is not an IP address where the client should be, or a
    peer address that does not parse, gives ``None`` (no address: the staff network check
    refuses, the audit trail records none) rather than a guess.
    """
    peer = parse_address(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    proxies = trusted_proxies(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not _within(peer, proxies):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded.strip() else []
    client = peer
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            return None
        client = address
        if not _within(address, proxies):
            break
    # Every hop was a trusted proxy (or there were none): the request began at a proxy.
    return str(client)


def parse_address(text: str | None) -> IPAddress | None:
    """An IP address as a proxy or the server may write it: ``192.0.2.1``, ``2001:db8::1``,
    ``[2001:db8::1]``, with or without a port (``192.0.2.1:443``, ``[2001:db8::1]:443``).
    IPv4-mapped IPv6 addresses (``::ffff:192.0.2.1``, from a dual-stack socket) become IPv4, so
    that IPv4 staff ranges match them. Anything else: ``None``."""
    text = (text or "").strip()
    if not text or len(text) > 64:
        return None
    if text.startswith("["):
        text, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
    elif text.count(":") == 1:  # IPv4 with a port
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return None
    return address


@lru_cache(maxsize=8)
def trusted_proxies(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _within(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


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
        user = request.user
        with (
            context.acting_as(actor),
            scope_for(user),
            dates.ward_style(dates.account_style(user)),
            conditions_remembered(),
        ):
            return self.get_response(request)
