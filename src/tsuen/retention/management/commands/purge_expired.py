"""Cron's way into the purge: ``manage.py purge_expired --municipality 13104`` executes the
ward's purge run that a second administrator approved, and refuses (exit 1, nothing deleted)
when there is none; ``--dry-run`` lists what a run would delete today."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tsuen.core import tenancy
from tsuen.municipalities.models import Municipality
from tsuen.retention import services
from tsuen.retention.purge import ORDER


class Command(BaseCommand):
    help = (
        "Execute a ward's approved purge run (from cron), or with --dry-run list what a run "
        "would delete today. Never deletes without a run approved by a second administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipality", action="append", required=True, metavar="CODE")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, municipality, dry_run, **options):
        refused = []
        for code in municipality:
            with tenancy.cross_tenant("purge_expired: one ward's records, filtered by the ward"):
                ward = Municipality.objects.filter(code=code).first()
                if ward is None:
                    raise CommandError(f"No municipality with code {code}.")
                if dry_run:
                    counts = services.dry_run(ward)
                    self.stdout.write(f"{code} dry run (nothing deleted):")
                    self._counts(counts)
                    continue
                try:
                    run = services.execute_approved(ward)
                except services.RetentionRefused as refusal:
                    refused.append(f"{code}: {' '.join(refusal.messages)}")
                    continue
                self.stdout.write(
                    f"{code} run {run.pk} executed; deletion report SHA-256 {run.report_sha256}"
                )
                self._counts(run.deleted)
        if refused:
            raise CommandError("\n".join(refused))

    def _counts(self, counts: dict) -> None:
        for record_class in ORDER:
            rows = counts.get(record_class.value, {})
            self.stdout.write(f"  {record_class.value}: {sum(rows.values())}")
