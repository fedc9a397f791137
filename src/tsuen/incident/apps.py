from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentConfig(AppConfig):
    name = "tsuen.incident"
    verbose_name = _("Incident readiness")

    def ready(self) -> None:
        from tsuen.incident import guard

        guard.connect()
