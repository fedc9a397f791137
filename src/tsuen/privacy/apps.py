from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tsuen.privacy"

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks
        from django.core.exceptions import ImproperlyConfigured

        from tsuen.privacy.checks import check_field_keys, check_no_development_secrets
        from tsuen.privacy.crypto import keyring

        checks.register(check_field_keys, checks.Tags.security)
        checks.register(check_no_development_secrets, checks.Tags.security, deploy=True)
        if not settings.DEBUG:
            # Fail at start-up, not at the first read of a child: a WSGI server runs no system
            # checks. settings.py has already refused a missing or public key; this refuses a
            # malformed one (the message names the version, never the key).
            try:
                keyring()
            except ImproperlyConfigured as exc:
                raise ImproperlyConfigured(f"TSUEN_FIELD_KEYS: {exc}") from None
