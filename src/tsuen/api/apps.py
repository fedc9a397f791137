from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "tsuen.api"
    label = "api"
    verbose_name = _("API for facility and ward systems")
