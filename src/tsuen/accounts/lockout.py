"""django-axes glue: which account a login attempt is for.

allauth authenticates with ``authenticate(request, email=..., password=...)``; axes by default
looks for a ``username`` (here ``login``) key and would see none, so every failure would be
recorded against "no account" and nothing would ever lock. This callable finds the e-mail
address wherever the attempt carries it and normalises it the way the account is stored, so that
``Hanako@Example.jp`` and ``hanako@example.jp`` count against the same lock.

Failures are counted for any address, registered or not: the lockout therefore answers the same
for an unknown address as for a real account and reveals nothing about which accounts exist.
"""

from __future__ import annotations

_KEYS = ("email", "login", "username")


def normalise(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value or None


def username_from_attempt(request, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the normalised e-mail address of a login attempt."""
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
