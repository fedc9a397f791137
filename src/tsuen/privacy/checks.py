"""System checks: a broken key configuration stops start-up, not the first read of a child."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def check_field_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from tsuen.privacy.crypto import keyring

    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="Set TSUEN_FIELD_KEYS to 'version:base64key[,version:base64key…]'; "
                "see docs/encryption.md.",
                id="privacy.E001",
            )
        ]
    return []
