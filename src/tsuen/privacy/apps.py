from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tsuen.privacy"

    def ready(self) -> None:
        from django.core import checks

        from tsuen.privacy.checks import check_field_keys, check_no_development_secrets

        checks.register(check_field_keys, checks.Tags.security)
        checks.register(check_no_development_secrets, checks.Tags.security, deploy=True)
