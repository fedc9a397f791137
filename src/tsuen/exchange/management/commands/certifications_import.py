"""``manage.py certifications_import FILE.csv --as admin@ward.example [--encoding cp932]
[--commit]``: check an exchange file (docs/exchange-files.md) for the administrator's ward and
print the rows to create and every error; with ``--commit``, import it, all rows or none. The
file passes the same virus scan and size limit as an upload, and is kept nowhere."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tsuen.exchange import layout, services
from tsuen.exchange.management.commands._acting import as_administrator
from tsuen.files.services import UploadRefused


class Command(BaseCommand):
    help = "Check (dry run, the default) or import (--commit) an exchange file of certifications."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="email", required=True, metavar="EMAIL")
        parser.add_argument("--encoding", choices=layout.ENCODINGS, default="")
        parser.add_argument("--commit", action="store_true", help="import (default: dry run)")

    def handle(self, *args, file, email, encoding, commit, **options):
        data = file.read_bytes()
        with as_administrator(email) as user:
            try:
                found = services.upload(user, SimpleUploadedFile(file.name, data), encoding)
            except (UploadRefused, services.ExchangeRefused) as refused:
                raise CommandError("\n".join(refused.messages)) from None
            try:
                _, preview = services.preview(user, found.token)
                for error in preview.errors:
                    column = f", {error.column}" if error.column else ""
                    self.stderr.write(f"row {error.row}{column}: {error.message}")
                self.stdout.write(
                    f"{len(preview.rows)} certifications, {preview.children} children, "
                    f"{preview.households} households, {preview.guardians} guardians, "
                    f"{preview.fee_classes} fee classes; {len(preview.errors)} errors"
                )
                if preview.errors:
                    raise CommandError("The file has errors: nothing was imported.")
                if not commit:
                    self.stdout.write("Dry run: nothing was imported (add --commit).")
                    return
                done = services.commit(user, found.token, confirm_token=preview.token)
                self.stdout.write(f"Imported {done.certifications} certifications.")
            finally:
                with transaction.atomic():
                    if services.ExchangeUpload.objects.filter(token=found.token).exists():
                        services.discard(user, found.token)
