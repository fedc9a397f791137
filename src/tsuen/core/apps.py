from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsuen.core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core import checks

        from tsuen.core.checks import check_shared_cache

        checks.register(check_shared_cache, checks.Tags.security, deploy=True)
