"""``manage.py certifications_export --as admin@ward.example --out FILE.zip [--encoding cp932]``:
the ward's certifications as an exchange file (docs/exchange-files.md), sealed the way every
protected export is (AES-256 ZIP under a fresh password, printed once on the terminal, never
stored), and audited with the ZIP's SHA-256 in the ward's chain."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tsuen.exchange import layout, services
from tsuen.exchange.management.commands._acting import as_administrator
from tsuen.exports.services import new_password, zip_file


class Command(BaseCommand):
    help = "Export a ward's certifications as an exchange file, in a password-protected ZIP."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as",
            dest="email",
            required=True,
            metavar="EMAIL",
            help="the ward administrator the export is made for",
        )
        parser.add_argument("--out", required=True, type=Path, metavar="FILE.zip")
        parser.add_argument("--encoding", choices=layout.ENCODINGS, default=layout.UTF8)

    def handle(self, *args, email, out, encoding, **options):
        if out.exists():
            raise CommandError(f"{out} exists: choose a new file name.")
        with as_administrator(email) as user, transaction.atomic():
            try:
                name, data, exported = services.export_file(user, encoding)
            except services.ExchangeRefused as refused:
                raise CommandError("\n".join(refused.messages)) from None
            password = new_password()
            archive = zip_file(name, data, password)
            sha256 = hashlib.sha256(archive).hexdigest()
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(archive)
            services.record_export(user, exported, sha256)
        self.stdout.write(f"{out}: {len(exported.rows)} certifications, SHA-256 {sha256}")
        self.stdout.write(f"Password (shown once, not stored): {password}")
