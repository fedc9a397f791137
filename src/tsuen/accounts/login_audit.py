"""Logins, failed logins, logouts, lockouts and refusals as audit events.

=============================================  ================  ===========  ===============
what happened                                  action            actor        object
=============================================  ================  ===========  ===============
logged in (every step passed)                  ``login``         the account  the account
wrong password, the address has an account     ``login_failed``  anonymous*   the account
wrong password, the address has no account     ``login_failed``  anonymous    —
wrong second factor                            ``login_failed``  the account  its authenticator
right password, outside the staff networks     ``denied``        the account  the account
locked out (axes)                              ``lockout``       anonymous    the account, or —
logged out (by hand, idle timeout, refusal)    ``logout``        the account  the account
=============================================  ================  ===========  ===============

Events about an account go to its chain, events about no account to the national chain.
(*) A failed password re-confirmation of a signed-in user is theirs.
"Its municipality" is the staff member's municipality (a facility's staff: the facility's
municipality); guardians, proxies and national operators are on the national chain.

The address a person typed is never stored (the audit trail holds no values). A failure names
the account whose address it was, because "how often did someone try this account, from where"
is what the ward's operations report and an incident need. That says an account exists only to
those who may read the audit trail, who can see the accounts anyway; the person at the login
page sees the same answer either way, and both paths write one event, so neither the answer nor
its timing tells them. An address without an account leaves nothing identifying: an event with
no object on the national chain, with the client address and time, like every event.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction
from django.utils.functional import LazyObject

from tsuen.audit import Action, record
from tsuen.core import context


def home_municipality_id(user) -> int | None:
    """The chain an account's login events go to: its municipality, or its facility's."""
    if user is None:
        return None
    if user.municipality_id:
        return user.municipality_id
    if user.facility_id:
        from tsuen.facilities.models import Facility

        return (
            Facility.objects.filter(pk=user.facility_id)
            .values_list("municipality_id", flat=True)
            .first()
        )
    return None


def _address(request) -> str | None:
    from tsuen.core.middleware import client_address

    if request is None:
        return context.current_actor().source_address
    return client_address(request)


def _actor(user, request) -> context.Actor:
    """``user`` (None: anonymous) from the request's address, keeping the request id so that a
    login's events share it with the rest of the request."""
    return dataclasses.replace(
        context.actor_for(user, _address(request)),
        request_id=context.current_actor().request_id,
    )


def _model(user):
    """The account itself, not the lazy ``request.user`` that logout() passes on."""
    if isinstance(user, LazyObject):
        user.pk  # noqa: B018  (evaluates the lazy object)
        return user._wrapped
    return user


def _record(action: Action, *, actor, target=None, account=None) -> None:
    """Record ``action`` about ``target`` on ``account``'s chain, once the surrounding
    transaction commits (at once in a login request, which runs outside one), like every audit
    event; finding the chain may take a query, so it waits too."""

    def write() -> None:
        with context.acting_as(actor):
            if target is None:
                record(action)
            else:
                record(action, target, municipality_id=home_municipality_id(account))

    transaction.on_commit(write)


def logged_in(request, user) -> None:
    _record(Action.LOGIN, actor=_actor(user, request), target=user, account=user)


def logged_out(request, user) -> None:
    if user is None:
        return
    user = _model(user)
    _record(Action.LOGOUT, actor=_actor(user, request), target=user, account=user)


def password_failed(request, account) -> None:
    # Anonymous at the login page; the signed-in user when a password re-confirmation failed.
    user = getattr(request, "user", None)
    who = _model(user) if user is not None and user.is_authenticated else None
    _record(Action.LOGIN_FAILED, actor=_actor(who, request), target=account, account=account)


def second_factor_failed(request, user, authenticator) -> None:
    _record(Action.LOGIN_FAILED, actor=_actor(user, request), target=authenticator, account=user)


def refused_outside_network(request, user) -> None:
    _record(Action.DENIED, actor=_actor(user, request), target=user, account=user)


def locked_out(request, account) -> None:
    _record(Action.LOCKOUT, actor=_actor(None, request), target=account, account=account)
