"""Load the demo world (once) and print how to log in to each portal."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tsuen.core import clock
from tsuen.demo import data
from tsuen.municipalities.models import Municipality


class Command(BaseCommand):
    help = "Load demo data (fictional families, two wards, six facilities) unless already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="http://127.0.0.1:8000")

    def handle(self, *args, address: str, **options):
        if Municipality.objects.filter(code="13104").exists():
            self.stdout.write("Demo data already loaded.")
            logins = data.existing_logins()
        else:
            logins = data.load(clock.today())
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(data.describe(logins, address))
