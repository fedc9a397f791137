"""Scan stored files with clamd: those never scanned (the default) or every one (``--all``).

    manage.py scan_stored_files [--all]

Files stored before scanning was required are not served until this has found them clean.
``--all`` rescans every file, e.g. when new signatures may recognise something already stored.
A clean file is marked ``clean``; malware found marks it ``infected`` (never served again) and
records an audit event ``malware_found`` with the file's SHA-256. No verdict leaves the file as
it was and makes the command exit non-zero, as does malware found. docs/files.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tsuen.audit import Action, record
from tsuen.files import blobs
from tsuen.files.models import ScanStatus, StoredFile
from tsuen.files.services import UploadRefused, scan


class Command(BaseCommand):
    help = "Scan stored files with clamd (those never scanned, or --all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="Rescan every stored file.")

    def handle(self, *args, **options) -> None:
        files = StoredFile.unscoped.order_by("pk")
        if not options["all"]:
            files = files.filter(scan_status=ScanStatus.NOT_SCANNED)
        clean, infected, failed = 0, [], []
        for stored in files.iterator(chunk_size=100):
            try:
                verdict = scan(blobs.read(stored))
            except (blobs.BlobUnreadable, UploadRefused) as exc:
                failed.append(f"file {stored.pk}: {exc}")
                continue
            if verdict.clean:
                status = ScanStatus.CLEAN if stored.scan_status != ScanStatus.INFECTED else None
                clean += 1
            else:
                status = ScanStatus.INFECTED
                infected.append(f"file {stored.pk}: {verdict.signature}")
                record(Action.MALWARE_FOUND, stored, document_sha256=stored.sha256)
            if status and status != stored.scan_status:
                StoredFile.unscoped.filter(pk=stored.pk).update(scan_status=status)
        self.stdout.write(
            f"Scanned: clean {clean}, malware {len(infected)}, no verdict {len(failed)}"
        )
        if infected or failed:
            raise CommandError("\n".join(["Not clean or not scanned:", *infected, *failed]))
