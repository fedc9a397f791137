"""The signature of a webhook request (docs/webhooks.md, "Verifying a delivery").

``Tsuen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>``.
The receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
time, and refuses a timestamp further than :data:`TOLERANCE_SECONDS` from its clock (a
replayed request)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: How far from the receiver's clock a signature's timestamp may be (replay window).
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105 (a prefix, not a secret)


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS):
    """Whether ``value`` (a ``Tsuen-Signature`` header) signs ``body`` under ``secret`` at a
    time within ``tolerance`` seconds of ``now``: what a receiver does (the docs' snippet)."""
    parts = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
