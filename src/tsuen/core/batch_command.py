"""tsuen's batch jobs as commands: ``manage.py <job> [--loop SECONDS] [--batch-size N]``.

A job runs once by default; ``--loop`` keeps it running (under systemd) and runs it every so many
seconds, reconnecting to the database each round so that a restarted database does not stop the
loop for good. The audit sequencer (``seal_audit_chain``) and the dashboard's fold
(``fold_visit_figures``) are such jobs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


class BatchLoopCommand(BaseCommand):
    """Subclasses name ``run(batch_size=...) -> int`` (how many rows it handled), its
    ``default_batch_size``, and ``done`` (e.g. "sealed %d audit events")."""

    run: Callable[..., int]
    default_batch_size: int
    done: str
    #: What a batch holds, for --batch-size's help ("events sealed per batch").
    batch_help: str

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running, once every SECONDS seconds (stop with SIGINT/SIGTERM)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=self.default_batch_size, help=self.batch_help
        )

    def handle(self, *args, loop=None, batch_size=None, **options):
        batch_size = self.default_batch_size if batch_size is None else batch_size
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        job = type(self).run  # a plain function kept on the class, not a method
        if loop is None:
            self.stdout.write(self.done % job(batch_size=batch_size))
            return
        if loop <= 0:
            raise CommandError("--loop needs a positive number of seconds")
        try:
            while True:
                close_old_connections()  # a restarted database does not stop the loop for good
                handled = job(batch_size=batch_size)
                if handled:
                    self.stdout.write(self.done % handled)
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
