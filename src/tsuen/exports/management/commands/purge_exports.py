from django.core.management.base import BaseCommand

from tsuen.exports.services import purge_expired


class Command(BaseCommand):
    help = "Delete protected exports that have expired (run every few minutes from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_expired()} expired export(s).")
