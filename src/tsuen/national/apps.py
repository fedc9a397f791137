from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "tsuen.national"
