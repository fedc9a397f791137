"""Send the reminders before the cancellation deadline (run it from cron every 15 minutes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tsuen.notices.reminders import DEFAULT_HOURS, send_reminders


class Command(BaseCommand):
    help = (
        "Remind families of bookings whose cancellation deadline falls within the next N hours "
        "(once per booking; safe to run as often as you like)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=DEFAULT_HOURS,
            help=f"how far ahead to look for deadlines (default {DEFAULT_HOURS})",
        )

    def handle(self, *args, hours: int, **options):
        if hours < 1:
            self.stderr.write("--hours must be at least 1")
            raise SystemExit(2)
        sent = send_reminders(hours=hours)
        if options["verbosity"]:
            self.stdout.write(f"{sent} booking(s) reminded")
