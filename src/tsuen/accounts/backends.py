"""The password step: allauth's e-mail-and-password backend, bound to the staff networks.

Municipal staff may log in only from their municipality's staff networks
(``tsuen.municipalities.lgwan``). The check belongs to the password step, not after it: a right
password typed outside the networks fails exactly like a wrong one (same form error, same
lockout counting, the same one password hash), so the login page never tells anyone outside
that they guessed right. The refusal itself is recorded as an audit event ("denied") in the
staff member's municipality, acting as the account (the password was right), and stands in for
the "login failed" event that a wrong password writes.

``StaffNetworkMiddleware`` still checks every request, for a session that moves to another
network and for logins that do not pass this step (a passkey).
"""

from __future__ import annotations

import functools

from allauth.account.auth_backends import AuthenticationBackend
from django.core.exceptions import PermissionDenied

#: Set on a request whose login this backend refused (the failed-login audit skips it).
REFUSED_ATTR = "_tsuen_login_refused_outside_network"


class StaffNetworkBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is None:
            return None
        from tsuen.core.middleware import client_address
        from tsuen.municipalities import lgwan

        address = client_address(request) if request is not None else None
        if lgwan.may_connect(user, address):
            return user
        _record_refusal(request, user)
        # PermissionDenied ends authenticate() at once (no later backend is asked) and sends
        # user_login_failed, as a wrong password does.
        raise PermissionDenied

    def get_user(self, user_id):
        """The signed-in account of every request (``ModelBackend.get_user``), read by a
        statement compiled once (``core.compiled``): the ORM's ``get`` cost more than the read.
        The same statement reads whether any emergency switch is on (``incident.guard``) and the
        date style of the account's ward (``core.dates.account_annotations``)."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _account_query().objects(pk=pk)
        if not found or not self.user_can_authenticate(found[0]):
            return None
        return found[0]


@functools.cache
def _account_query():
    from django.contrib.auth import get_user_model

    from tsuen.core import dates
    from tsuen.core.compiled import CompiledQuery
    from tsuen.incident import guard

    return CompiledQuery(
        lambda pk: (
            get_user_model()
            ._default_manager.filter(pk=pk)
            .annotate(**guard.account_annotations(), **dates.account_annotations())
        ),
        pk="int",
    )


def _record_refusal(request, user) -> None:
    from tsuen.accounts import login_audit

    if request is not None:
        setattr(request, REFUSED_ATTR, True)
    login_audit.refused_outside_network(request, user)
