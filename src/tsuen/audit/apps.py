from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tsuen.audit"
