"""End every active certification whose validity is over (run daily, e.g. at 00:30 JST)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tsuen.certification.lifecycle import end_expired
from tsuen.core import tenancy


class Command(BaseCommand):
    help = (
        "End every active certification whose valid-to day is before today (ageing out, or the "
        "end date staff set), cancel bookings after it and tell the families. Safe to run again."
    )

    def handle(self, *args, **options):
        with tenancy.cross_tenant("daily end of expired certifications"):
            ended = end_expired()
        self.stdout.write(f"{len(ended)} certification(s) ended.")
