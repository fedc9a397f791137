from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsReportConfig(AppConfig):
    name = "tsuen.opsreport"
    label = "opsreport"
    verbose_name = _("Monthly operations report")
