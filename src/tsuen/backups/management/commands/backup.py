"""``manage.py backup [PATH] [--work-dir DIR]``: an encrypted backup of the database.

PATH is a file to create or a folder (default ``VAR_DIR/backups``) for a dated name. Prints the
file, its size and SHA-256 (also written next to it as ``FILE.sha256``) and the manifest's
figures. Exits non-zero, having recorded the failure, when anything goes wrong.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseError

from tsuen.backups.keys import BackupKeyError
from tsuen.backups.services import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database (with the uploaded files it holds), encrypted with the backup key."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="file to create, or a folder for a dated name")
        parser.add_argument("--work-dir", help="private folder for temporary files (SQLite copy)")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, path=None, work_dir=None, database="default", **options):
        target = Path(path) if path else Path(settings.VAR_DIR) / "backups"
        if not path:
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            result = make_backup(
                target,
                alias=database,
                work_dir=Path(work_dir) if work_dir else None,
                command=" ".join(["backup", *([path] if path else [])]),
            )
        except (BackupKeyError, BackupError, OSError, DatabaseError) as exc:
            raise CommandError(f"backup failed: {exc}") from None
        manifest = result.manifest
        counts = manifest["tables"]
        self.stdout.write(f"Backup written: {result.path}")
        self.stdout.write(f"  size {result.size} bytes, SHA-256 {result.sha256}")
        self.stdout.write(
            f"  {manifest['database_vendor']}: {len(counts)} tables, {sum(counts.values())} rows; "
            f"{manifest['uploaded_files']['files']} uploaded files (in the database)"
        )
        for head in manifest["audit_chain_heads"]:
            label = head["municipality_code"] or head["chain"]
            self.stdout.write(f"  audit chain {label}: seq {head['seq']} hash {head['hash']}")
        self.stdout.write(self.style.SUCCESS("OK"))
