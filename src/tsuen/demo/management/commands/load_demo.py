"""Load the demo world (once) and print how to log in to each portal. Development servers
(DEBUG) only."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tsuen.core import clock
from tsuen.demo import data
from tsuen.municipalities.models import Municipality


class Command(BaseCommand):
    help = "Load demo data (fictional families, two wards, six facilities) unless already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="http://127.0.0.1:8000")

    def handle(self, *args, address: str, **options):
        if not settings.DEBUG:
            # Demo accounts share one printed password and print their second factors, and
            # the demo wards' staff may connect from this machine: never on a real system.
            raise CommandError(
                "load_demo runs only on a development server (TSUEN_DEBUG=1), as bin/demo does."
            )
        if Municipality.objects.filter(code="13104").exists():
            self.stdout.write("Demo data already loaded.")
            logins = data.existing_logins()
        else:
            logins = data.load(clock.today())
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(data.describe(logins, address))
