"""Secret tokens in links (invitations, calendar feeds): only their hash is stored."""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    """The SHA-256 (hex) stored in place of a link's secret token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
