"""Municipal staff reach tsuen only from their municipality's networks (LGWAN allow-list).

A municipality without any range refuses its staff (``settings.LGWAN_REQUIRED``, always on
outside DEBUG). The check runs in three places:

* at the password step (``tsuen.accounts.backends.StaffNetworkBackend``): a right password
  from outside fails exactly like a wrong one, and the refusal is an audit event ("denied");
* on every request of a logged-in municipal staff member (reviewer, payments officer,
  administrator, auditor), by :class:`StaffNetworkMiddleware`: a session that moved to another
  network is refused with 403, an audit event, and logged out;
* by the same middleware right after a login that did not pass the password step (a passkey
  login): refused and undone.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render

from tsuen.audit import record
from tsuen.core import context
from tsuen.core.middleware import client_address
from tsuen.municipalities.models import StaffNetwork, parse_network


def allowed(municipality_id: int, address: str | None) -> bool:
    networks = [
        parse_network(cidr)
        for cidr in StaffNetwork.objects.filter(municipality_id=municipality_id).values_list(
            "cidr", flat=True
        )
    ]
    if not networks:
        return not getattr(settings, "LGWAN_REQUIRED", False)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


def _bound(user) -> bool:
    return user.is_authenticated and user.is_municipal and bool(user.municipality_id)


def may_connect(user, address: str | None) -> bool:
    """Whether ``user`` may use tsuen from ``address``: anyone but municipal staff, and
    municipal staff from their municipality's staff networks."""
    return not _bound(user) or allowed(user.municipality_id, address)


class StaffNetworkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if _bound(user) and not allowed(user.municipality_id, client_address(request)):
            return self.refuse(request, user)
        response = self.get_response(request)
        user = request.user  # a login in this request
        if _bound(user) and not allowed(user.municipality_id, client_address(request)):
            return self.refuse(request, user)
        return response

    def refuse(self, request, user):
        # The actor of a login is only known now: record the refusal as theirs.
        with context.acting_as(context.actor_for(user, client_address(request))):
            record("denied", None, municipality_id=user.municipality_id)
        logout(request)
        return render(request, "municipalities/outside_network.html", status=403)
