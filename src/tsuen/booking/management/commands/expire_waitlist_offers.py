"""Close unanswered waitlist offers and pass their places on (run it every few minutes, e.g.
from cron or a systemd timer; the task ``waitlist.expire_waitlist_offers_task`` does the same
through ``manage.py db_worker``)."""

from django.core.management.base import BaseCommand

from tsuen.booking.waitlist import expire_offers


class Command(BaseCommand):
    help = "Expire unanswered waitlist offers and offer the places to the next families."

    def handle(self, *args, **options):
        expired = expire_offers()
        self.stdout.write(f"{expired} waitlist offer(s) expired")
