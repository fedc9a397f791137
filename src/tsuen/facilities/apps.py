from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "tsuen.facilities"
