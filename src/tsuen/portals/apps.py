from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "tsuen.portals"
