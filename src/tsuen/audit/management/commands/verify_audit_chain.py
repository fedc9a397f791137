"""``manage.py verify_audit_chain [--municipality CODE | --national | --all] [--published FILE]``

Recomputes every hash of the chosen audit chains in order and prints one line per chain: OK,
or the first broken event with the reason. With ``--published``, also checks that every chain
head published to FILE (``publish_audit_heads``) is still in its chain. Exits 1 when any chain
is broken, so that a scheduled run alerts.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tsuen.audit.published import disagreements, read
from tsuen.audit.verify import verify_all, verify_chain
from tsuen.municipalities.models import Municipality


class Command(BaseCommand):
    help = "Verify the hash chains of the audit log; exit 1 naming the first broken event."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--municipality", metavar="CODE", help="one municipality's chain")
        which.add_argument("--national", action="store_true", help="the national chain only")
        which.add_argument("--all", action="store_true", help="every chain (the default)")
        parser.add_argument("--chunk-size", type=int, default=2000, help="events fetched per query")
        parser.add_argument(
            "--published",
            type=Path,
            metavar="FILE",
            help="also check the chain heads published to FILE (publish_audit_heads)",
        )

    def handle(
        self, *args, municipality=None, national=False, chunk_size=2000, published=None, **opts
    ):
        if municipality:
            pk = Municipality.objects.filter(code=municipality).values_list("pk", flat=True)
            if not pk:
                raise CommandError(f"no municipality with code {municipality}", returncode=2)
            results = [verify_chain(pk[0], chunk_size=chunk_size)]
        elif national:
            results = [verify_chain(None, chunk_size=chunk_size)]
        else:
            results = verify_all(chunk_size=chunk_size)
        for result in results:
            style = self.style.SUCCESS if result.ok else self.style.ERROR
            self.stdout.write(style(str(result)))
        if not results:
            self.stdout.write("no audit events recorded yet")
        broken = [result.chain for result in results if not result.ok]
        if published is not None:
            try:
                heads = read(published.read_text(encoding="utf-8").splitlines())
            except (OSError, ValueError) as error:
                raise CommandError(f"{published}: {error}", returncode=2) from None
            problems = disagreements(heads)
            for problem in problems:
                self.stdout.write(self.style.ERROR(f"PUBLISHED  {problem}"))
            if not problems:
                self.stdout.write(
                    self.style.SUCCESS(f"OK      {len(heads)} published heads still in place")
                )
            broken += sorted({problem.split(":")[0] for problem in problems} - set(broken))
        if broken:
            raise CommandError(f"audit chain broken: {', '.join(broken)}", returncode=1)
