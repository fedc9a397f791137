"""``manage.py detect_anomalies [--day YYYY-MM-DD]``: run the anomaly rules over the audit log.

Without ``--day``: yesterday and today so far (Japan time). Safe to run twice: an anomaly is
kept once per ward, rule, account or address and window. Cron line: docs/deploy.md.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from tsuen.monitoring.detect import default_days, detect
from tsuen.monitoring.models import Rule


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--day: {text!r} is not a date (write it YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Run the anomaly rules over a day of the audit log (default: yesterday and today)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="the day to examine, YYYY-MM-DD (Japan time)")

    def handle(self, *args, day=None, **options):
        days = [_day(day)] if day else default_days()
        for one in days:
            result = detect(one)
            found = ", ".join(
                f"{Rule(rule).name.lower()}: {count}" for rule, count in sorted(result.new.items())
            )
            self.stdout.write(
                f"{one.isoformat()}: {result.total_new} new anomalies"
                + (f" ({found})" if found else "")
                + f", {result.updated} updated, {result.unchanged} already known"
            )
