"""``manage.py fold_visit_figures [--loop SECONDS] [--batch-size N]``

Folds the visit changes appended by the database triggers into the dashboard's summaries (see
``tsuen.reports.figures``). Once by default; ``--loop 60`` keeps running and folds every minute.
The dashboard's figures are exact either way; folding keeps its reads short (they read the
changes not folded yet beside the summaries).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from tsuen.reports.figures import DEFAULT_BATCH_SIZE, fold


class Command(BaseCommand):
    help = "Fold the visit changes into the dashboard's summaries (once, or every --loop seconds)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running, folding every SECONDS seconds (stop with SIGINT/SIGTERM)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="changes folded per batch"
        )

    def handle(self, *args, loop=None, batch_size=DEFAULT_BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if loop is None:
            self.stdout.write(f"folded {fold(batch_size=batch_size)} visit changes")
            return
        if loop <= 0:
            raise CommandError("--loop needs a positive number of seconds")
        try:
            while True:
                close_old_connections()
                folded = fold(batch_size=batch_size)
                if folded:
                    self.stdout.write(f"folded {folded} visit changes")
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
