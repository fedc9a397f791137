"""The operator's monthly archive: ``manage.py operations_report --municipality 13104 --month
2026-11 --out report.pdf`` writes the ward's monthly operations report (counts only, no names
of staff, like the national operator's screen) and records the download, with the PDF's SHA-256,
in the ward's audit chain. Without ``--month``: the last month that is over. A month not over
yet is refused (an archived report covers a whole month; the screen shows one in progress)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tsuen.audit import Action, record
from tsuen.core import clock, tenancy
from tsuen.municipalities.models import Municipality
from tsuen.opsreport import services
from tsuen.opsreport.pdf import render_report


class Command(BaseCommand):
    help = (
        "Write a ward's monthly operations report (月次運用報告) as a PDF for the operator's "
        "archive: counts only, the download recorded in the ward's audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, metavar="CODE")
        parser.add_argument("--month", metavar="YYYY-MM", help="default: the last month over")
        parser.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")

    def handle(self, *args, municipality, month, out, **options):
        try:
            asked = services.month_asked(month)
        except services.MonthRefused as refused:
            raise CommandError(" ".join(refused.messages)) from None
        if not services.is_over(asked, clock.today()):
            raise CommandError(
                f"{asked:%Y-%m} is not over yet: an archived report covers a whole month "
                "(the screen shows the month in progress)."
            )
        with tenancy.cross_tenant("operations_report: one ward's figures, filtered by the ward"):
            ward = Municipality.objects.filter(code=municipality).first()
            if ward is None:
                raise CommandError(f"No municipality with code {municipality}.")
            report = services.build(ward, asked, with_names=False)
            data = render_report(report)
            try:
                out.write_bytes(data)
            except OSError as error:
                raise CommandError(f"Cannot write {out}: {error}") from None
            sha256 = hashlib.sha256(data).hexdigest()
            record(Action.DOWNLOAD, ward, document_sha256=sha256)
        self.stdout.write(f"{ward.code} {asked:%Y-%m}: wrote {out} (SHA-256 {sha256})")
