"""Start-up check: outside DEBUG, tsuen does not run without a virus scanner configured.

Uploads are refused whenever clamd gives no verdict, so a missing scanner would not let an
unscanned file in; but a production server that cannot take a single upload is a configuration
error to be seen at deployment, not by the first family that uploads a certificate.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from tsuen.files.clamav import parse_address


def require_scanner(settings) -> None:
    address = settings.CLAMD_SOCKET
    if not address:
        if settings.DEBUG:
            return  # development: uploads are refused until bin/clamd runs
        raise ImproperlyConfigured(
            "No virus scanner is configured: set TSUEN_CLAMD_SOCKET to clamd's unix socket path "
            "or host:port (every upload is scanned; see docs/files.md). For tests and the demo, "
            "'eval \"$(bin/clamd start)\"' starts the project's own clamd and sets it."
        )
    try:
        parse_address(address)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TSUEN_CLAMD_SOCKET: {exc}") from None
