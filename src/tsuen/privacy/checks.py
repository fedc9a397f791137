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


def check_no_development_secrets(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy``: production must not run on the public development keys."""
    from django.conf import settings

    problems = []
    if settings.FIELD_ENCRYPTION_KEYS == settings.DEV_FIELD_ENCRYPTION_KEYS:
        problems.append(
            checks.Error(
                "Sensitive fields are encrypted with the public development key.",
                hint="Set TSUEN_FIELD_KEYS (manage.py generate_field_key makes a key).",
                id="privacy.E003",
            )
        )
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        problems.append(
            checks.Error(
                "SECRET_KEY is the public development key.",
                hint="Set TSUEN_SECRET_KEY to a long random value.",
                id="privacy.E004",
            )
        )
    return problems
