"""Re-encrypt every encrypted value still under an older key version with the current key.

    manage.py rotate_field_keys [--batch-size N] [--dry-run] [--database ALIAS]

Finds every ``EncryptedField`` through the app registry (see tsuen.privacy.rotation), prints
one line per model field, and is idempotent: a second run re-encrypts nothing. Exits non-zero
when a value cannot be decrypted (after every other row is done): keep the old keys until that
is resolved. docs/encryption.md describes the whole rotation procedure.
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from tsuen.privacy.crypto import keyring
from tsuen.privacy.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields still under an older key version with the current key."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows per transaction (default 500)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count (and test-decrypt) what would be re-encrypted; write nothing.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default 'default')."
        )

    def handle(self, *args, **options) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more")
        dry_run = options["dry_run"]
        ring = keyring()
        configured = ", ".join(f"v{v}" for v in ring.versions)
        self.stdout.write(
            f"Current key version v{ring.current_version} (configured: {configured})"
            + ("; dry run, nothing is written" if dry_run else "")
        )
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        total: Counter = Counter()
        failures: list[str] = []
        for report in rotate_all(batch_size=batch_size, dry_run=dry_run, using=options["database"]):
            origins = ", ".join(f"v{v}: {n}" for v, n in sorted(report.from_versions.items()))
            line = f"{report.label}: {verb} {report.rotated}"
            line += f" ({origins})" if origins else ""
            line += f", already current {report.current}"
            if report.changed_meanwhile:
                line += f", changed meanwhile {report.changed_meanwhile}"
            if report.failures:
                line += f", FAILED {len(report.failures)}"
            self.stdout.write(line)
            total["rotated"] += report.rotated
            total["current"] += report.current
            total["changed"] += report.changed_meanwhile
            failures += [f"{report.label} pk={pk}: {reason}" for pk, reason in report.failures]
        self.stdout.write(
            f"Total: {verb} {total['rotated']}, already current {total['current']}, "
            f"changed meanwhile {total['changed']}, failed {len(failures)}"
        )
        if failures:
            raise CommandError(
                f"{len(failures)} value(s) could not be decrypted; keep every old key until "
                "they are resolved:\n" + "\n".join(failures)
            )
        if total["changed"]:
            self.stdout.write("Rows changed while the command ran: run it again.")
        elif not dry_run:
            self.stdout.write(
                f"Every encrypted value is now under v{ring.current_version}. Older keys can be "
                "dropped from TSUEN_FIELD_KEYS once every server runs with this key set."
            )
