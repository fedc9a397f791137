"""``manage.py publish_audit_heads --out FILE``

Appends each audit chain's head (its last sequence number and hash, one JSON line a chain) to
FILE, which the operator keeps outside the database (an archive on other storage, a signed
email to the auditor); daily from cron. ``verify_audit_chain --published FILE`` later checks
that every published head is still in its chain (tsuen.audit.published).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from tsuen.audit.published import publish


class Command(BaseCommand):
    help = "Append every audit chain's head to a file kept outside the database."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="the file to append to")

    def handle(self, *args, out: Path, **options):
        heads = publish(out)
        for head in heads:
            self.stdout.write(head.line())
        if not heads:
            self.stdout.write("no audit chain has a sealed event yet")
