"""``manage.py seal_audit_chain [--loop SECONDS] [--batch-size N]``

Seals the audit events appended since the last run into their municipality's hash chain (see
``tsuen.audit.sequencer``). Once by default; ``--loop 2`` keeps running and seals every two
seconds, which bounds how long an event stays unsealed (docs/audit.md, "The sealing window").
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from tsuen.audit.sequencer import DEFAULT_BATCH_SIZE, seal


class Command(BaseCommand):
    help = "Seal appended audit events into their hash chains (once, or every --loop seconds)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running, sealing every SECONDS seconds (stop with SIGINT/SIGTERM)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="events sealed per batch"
        )

    def handle(self, *args, loop=None, batch_size=DEFAULT_BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if loop is None:
            self.stdout.write(f"sealed {seal(batch_size=batch_size)} audit events")
            return
        if loop <= 0:
            raise CommandError("--loop needs a positive number of seconds")
        try:
            while True:
                close_old_connections()  # a restarted database does not stop the loop for good
                sealed = seal(batch_size=batch_size)
                if sealed:
                    self.stdout.write(f"sealed {sealed} audit events")
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
