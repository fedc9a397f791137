"""``manage.py verify_audit_chain [--municipality CODE | --national | --all]``

Recomputes every hash of the chosen audit chains in order and prints one line per chain: OK,
or the first broken event with the reason. Exits 1 when any chain is broken, so that a
scheduled run alerts.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, municipality=None, national=False, chunk_size=2000, **options):
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
        if broken:
            raise CommandError(f"audit chain broken: {', '.join(broken)}", returncode=1)
