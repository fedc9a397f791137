from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsuen.core"
    verbose_name = "Core"
