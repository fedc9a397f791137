from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "tsuen.certification"
