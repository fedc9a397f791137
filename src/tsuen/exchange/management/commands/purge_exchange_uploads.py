"""``manage.py purge_exchange_uploads``: delete uploaded exchange files past their time
(``EXCHANGE_UPLOAD_TTL_SECONDS``, one hour). Run from cron every few minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tsuen.core import tenancy
from tsuen.exchange import services


class Command(BaseCommand):
    help = "Delete uploaded exchange files that were neither imported nor discarded in time."

    def handle(self, *args, **options):
        with tenancy.cross_tenant("purge expired exchange uploads"):
            deleted = services.purge_expired()
        self.stdout.write(f"{deleted} expired exchange uploads deleted")
