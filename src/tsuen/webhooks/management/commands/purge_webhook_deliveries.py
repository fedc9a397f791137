"""``manage.py purge_webhook_deliveries [--days N]``

Deletes delivery-log rows older than N days (default 30) that are finished (delivered or given
up), and the outbox events left with no delivery and older than that. Waiting deliveries are
kept whatever their age."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tsuen.webhooks.services import DEFAULT_KEEP_DAYS, purge_deliveries


class Command(BaseCommand):
    help = "Delete finished webhook deliveries (and their events) older than --days days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=DEFAULT_KEEP_DAYS)

    def handle(self, *args, days: int, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        deliveries, events = purge_deliveries(days)
        self.stdout.write(f"deleted {deliveries} deliveries and {events} events")
