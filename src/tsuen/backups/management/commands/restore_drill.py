"""``manage.py restore_drill FILE``: the monthly restore drill, without touching live data.

Restores FILE into a scratch database (PostgreSQL: a new database on the same server, which the
database user must be allowed to create; SQLite: a temporary file), checks it as ``restore``
does, removes the scratch database and records the result in the live database, where the
monthly report and the backup status page read it. Exits 1 when the drill fails.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseError

from tsuen.backups.keys import BackupKeyError
from tsuen.backups.services import BackupError, drill


class Command(BaseCommand):
    help = "Restore a backup into a scratch database, check it, and record the drill."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--work-dir", help="private folder for the decrypted parts")

    def handle(self, *args, file, work_dir=None, **options):
        try:
            report = drill(
                Path(file),
                work_dir=Path(work_dir) if work_dir else None,
                command=f"restore_drill {Path(file).name}",
            )
        except (BackupKeyError, BackupError, DatabaseError, OSError) as exc:
            raise CommandError(f"restore drill failed: {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("restore drill failed: the restored data does not match")
        self.stdout.write(self.style.SUCCESS("Drill recorded."))
