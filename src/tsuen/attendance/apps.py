from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "tsuen.attendance"
