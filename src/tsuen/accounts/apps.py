from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tsuen.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from tsuen.accounts import signals  # noqa: F401  (connects the receivers)
        from tsuen.accounts.services import rotate_mfa_secrets
        from tsuen.privacy.rotation import register_rotator

        register_rotator("mfa-secrets", rotate_mfa_secrets)
