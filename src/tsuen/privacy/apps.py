from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tsuen.privacy"

    def ready(self) -> None:
        from django.core import checks

        from tsuen.privacy.checks import check_field_keys

        checks.register(check_field_keys, checks.Tags.security)
