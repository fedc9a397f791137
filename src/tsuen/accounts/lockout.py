"""Whose failures count: the lockout rule, and the django-axes glue that applies it.

allauth authenticates with ``authenticate(request, email=..., password=...)``; axes by default
looks for a ``username`` (here ``login``) key and would see none, so every failure would be
recorded against "no account" and nothing would ever lock. :func:`attempt_email` finds the
e-mail address wherever the attempt carries it and normalises it the way the account is stored,
so that ``Hanako@Example.jp`` and ``hanako@example.jp`` count against the same lock.

**The rule** (:func:`scope`). Five failed logins within 30 minutes lock, and what they lock
depends on who the address belongs to and where the attempt comes from:

* ``ACCOUNT`` — the address itself, from every client address: guardians, proxies, addresses
  without an account, and municipal staff **from inside their municipality's staff networks**.
* ``ACCOUNT_AND_ADDRESS`` — the pair (address, client IP address) only: municipal staff from
  **outside** their staff networks, where a login can never succeed (the password step refuses
  it, see ``accounts.backends``), and the other staff who must pass a second factor (facility
  staff, national operators), for whom a password alone opens nothing.

So a stranger on the internet who knows a staff member's address locks out only their own
address's attempts on it; the staff member logs in as usual. Failures from inside a ward's
network still lock the ward account itself. allauth's own per-address throttle (5 failures in 5
minutes) is keyed the same way (``AccountAdapter``), and its per-IP throttle (10 failures a
minute) still slows anyone spraying many accounts from one address.

What the rule gives away: from one client address every account and every unknown address
behaves the same (5 failures, then the lockout page). An attacker who spreads failures over
several client addresses can tell an ``ACCOUNT_AND_ADDRESS`` account (staff) from the rest,
because the lock does not follow them to the next address. Guardians' addresses and unknown
addresses stay indistinguishable, which is what matters for families; that an address belongs to
some staff member is far less telling, and every such failure is in the audit trail.

Failures of the two scopes are kept apart in axes' table: ``ACCOUNT_AND_ADDRESS`` rows carry the
address with the prefix :data:`PER_ADDRESS_PREFIX`, so that failures from outside never add up
to a ward account's own lock.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Literal

ACCOUNT = "account"
ACCOUNT_AND_ADDRESS = "account+address"
Scope = Literal["account", "account+address"]

#: axes' username for failures locked per (address, client address).
PER_ADDRESS_PREFIX = "per-address:"
#: axes stores usernames in a 255-character column.
AXES_USERNAME_LENGTH = 255

_KEYS = ("email", "login", "username")
_CACHE_ATTR = "_tsuen_lockout_scopes"


def normalise(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value or None


def attempt_email(request, credentials: dict | None) -> str | None:
    """The normalised e-mail address a login attempt is for (from the credentials, else the
    posted form), or None."""
    for key in _KEYS:
        found = normalise((credentials or {}).get(key))
        if found:
            return found
    data = getattr(request, "POST", None) or {}
    for key in _KEYS:
        found = normalise(data.get(key))
        if found:
            return found
    return None


def account_for(email: str | None):
    """The account whose address is ``email`` (addresses are stored in lower case), or None."""
    from tsuen.accounts.models import User

    if not email:
        return None
    return User.objects.filter(email=email).select_related("municipality").first()


def scope(request, credentials: dict | None) -> Scope:
    """What failures of this attempt lock: the address, or the address from this client only.
    Worked out once per request and address."""
    email = attempt_email(request, credentials)
    if email is None:
        return ACCOUNT
    cache = getattr(request, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        with suppress(AttributeError):  # not a request (axes passes stored attempts in places)
            setattr(request, _CACHE_ATTR, cache)
    if email not in cache:
        cache[email] = _scope_of(account_for(email), request)
    return cache[email]


def _scope_of(account, request) -> Scope:
    from tsuen.core.middleware import client_address
    from tsuen.municipalities import lgwan

    if account is None:
        return ACCOUNT
    if account.is_municipal and account.municipality_id:
        inside = lgwan.allowed(account.municipality_id, client_address(request))
        return ACCOUNT if inside else ACCOUNT_AND_ADDRESS
    if account.needs_second_factor:
        return ACCOUNT_AND_ADDRESS
    return ACCOUNT


def username_from_attempt(request, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the name axes records a failure under."""
    email = attempt_email(request, credentials)
    if email is None:
        return None
    if scope(request, credentials) == ACCOUNT_AND_ADDRESS:
        email = PER_ADDRESS_PREFIX + email
    return email[:AXES_USERNAME_LENGTH]


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list:
    """``AXES_LOCKOUT_PARAMETERS``: which of axes' recorded failures add up for this attempt."""
    from axes.models import AccessBase

    if isinstance(request_or_attempt, AccessBase):  # a stored failure: its name says which
        per_address = (request_or_attempt.username or "").startswith(PER_ADDRESS_PREFIX)
    else:
        per_address = scope(request_or_attempt, credentials) == ACCOUNT_AND_ADDRESS
    return [["username", "ip_address"]] if per_address else ["username"]


def email_of(axes_username: str | None) -> str | None:
    """The e-mail address behind an axes username (either scope)."""
    if not axes_username:
        return None
    return normalise(axes_username.removeprefix(PER_ADDRESS_PREFIX))


def unlock(email: str) -> None:
    """Lift every lockout of ``email`` (both scopes, every client address)."""
    from axes.utils import reset

    address = normalise(email) or ""
    reset(username=address)
    reset(username=(PER_ADDRESS_PREFIX + address)[:AXES_USERNAME_LENGTH])
