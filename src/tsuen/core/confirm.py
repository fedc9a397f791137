"""Irreversible actions ask first (docs/architecture.md, "Actions that ask first").

A service that cancels, submits, decides or deletes computes its *effects* first (how many
bookings, families, yen, which child) and shows them; the action itself takes the token of
those effects (``token(...)``) as its ``confirm`` argument, recomputes the effects and refuses
when the token is missing (nothing was confirmed) or differs (the effects changed since they
were shown). The confirmation page posts the token back in a hidden ``confirm`` field, so the
step works without JavaScript.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: The name of the hidden field that carries the token on a confirmation page.
FIELD = "confirm"


def token(*effects) -> str:
    """A short fingerprint of what an action would do (any values with a stable ``repr``)."""
    return hashlib.sha256(repr(effects).encode()).hexdigest()[:20]


def require(given: str | None, expected: str) -> None:
    """Refuse an action that was not confirmed, or whose effects changed since they were
    shown (``expected`` is the token of the effects recomputed now)."""
    if not given:
        raise ValidationError(_("Check what will happen and confirm first."), code="not_confirmed")
    if given != expected:
        raise ValidationError(
            _(
                "Something changed since you checked. Look at what will happen now and "
                "confirm again."
            ),
            code="changed",
        )
