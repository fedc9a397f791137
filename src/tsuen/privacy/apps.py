from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tsuen.privacy"
