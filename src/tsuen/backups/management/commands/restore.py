"""``manage.py restore FILE [--replace] [--yes]``: restore an encrypted backup.

Checks the whole file first (key, every chunk, every part's SHA-256); then says what it will do
and asks (``--yes`` for scripts); restores in one transaction; compares the row counts and chain
heads with the manifest and verifies the audit chains; prints the report. Exits 1 when the
restored data does not match, 2 when the restore was refused (nothing written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseError

from tsuen.backups.keys import BackupKeyError
from tsuen.backups.services import BackupError, RestoreRefused, check_file, restore


class Command(BaseCommand):
    help = "Restore an encrypted backup into an empty database (irreversible with --replace)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace the contents of a database that is not empty (irreversible)",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="only check the file (key, checksums) and show its manifest; touch no database",
        )
        parser.add_argument("--work-dir", help="private folder for the decrypted parts")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, file, replace=False, yes=False, work_dir=None, database="default",
               check_only=False, **options):  # fmt: skip
        if check_only:
            return self.check(Path(file))

        def confirm(lines: list[str]) -> bool:
            for line in lines:
                self.stdout.write(line)
            if yes:
                return True
            if not sys.stdin.isatty():
                self.stderr.write("Not a terminal: give --yes to restore without asking.")
                return False
            return input("Type 'restore' to go on: ").strip() == "restore"

        try:
            report = restore(
                Path(file),
                alias=database,
                replace=replace,
                confirm=confirm,
                work_dir=Path(work_dir) if work_dir else None,
                command=" ".join(["restore", Path(file).name, *(["--replace"] if replace else [])]),
            )
        except (BackupKeyError, RestoreRefused) as exc:
            raise CommandError(f"restore refused: {exc}", returncode=2) from None
        except (BackupError, DatabaseError, OSError) as exc:
            raise CommandError(f"restore failed: {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("the restored database does not match the backup", returncode=1)

    def check(self, path: Path) -> None:
        try:
            manifest, size, sha256 = check_file(path)
        except (BackupKeyError, RestoreRefused, OSError) as exc:
            raise CommandError(f"backup file refused: {exc}", returncode=2) from None
        counts = manifest["tables"]
        self.stdout.write(f"{path.name}: {size} bytes, SHA-256 {sha256}")
        self.stdout.write(
            f"  made {manifest['created_at']} on {manifest['database_vendor']} by "
            f"{manifest['operator']}: {len(counts)} tables, {sum(counts.values())} rows, "
            f"{manifest['uploaded_files']['files']} uploaded files"
        )
        for head in manifest["audit_chain_heads"]:
            label = head["municipality_code"] or head["chain"]
            self.stdout.write(f"  audit chain {label}: seq {head['seq']} hash {head['hash']}")
        self.stdout.write(
            self.style.SUCCESS("OK: every chunk authenticates and every checksum matches")
        )
