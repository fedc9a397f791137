"""Helpers for tests of other parts of tsuen.

``client.force_login(staff)`` makes a session that never passed a second factor, and
``StaffSecondFactorMiddleware`` rightly sends it to set-up or to re-authentication. Tests that
want a staff member at work use :func:`login_with_second_factor` instead.
"""

from __future__ import annotations

from tsuen.accounts.middleware import SESSION_VERIFIED_KEY


def login_with_second_factor(client, user) -> None:
    """Log ``user`` in on the Django test ``client`` as if they had passed password and TOTP.

    A staff user must also have an authenticator (``services.enable_totp`` or
    ``tests.factories.second_factor``), or the middleware still sends them to set-up.
    """
    client.force_login(user)
    session = client.session
    session[SESSION_VERIFIED_KEY] = str(user.pk)
    session.save()
