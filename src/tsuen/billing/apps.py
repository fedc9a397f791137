from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "tsuen.billing"
