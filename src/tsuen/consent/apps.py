from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tsuen.consent"
