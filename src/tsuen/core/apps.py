from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsuen.core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models import fields

        from tsuen.core.forms import BLANK_LABEL

        fields.BLANK_CHOICE_LABEL = BLANK_LABEL  # Django's documented hook (6.1)

        from tsuen.core.checks import check_session_store, check_shared_cache

        checks.register(check_shared_cache, checks.Tags.security, deploy=True)
        checks.register(check_session_store, checks.Tags.security, checks.Tags.caches, deploy=True)
