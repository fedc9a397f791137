"""``manage.py generate_month_claims --as EMAIL [--year Y --month M] [--municipality CODE]``

The month run (``billing.services_month.generate_month_claims``): drafts the month's claims of
every facility the named account may draft for (the national operator: every facility, or
those of one municipality with ``--municipality``). Run it once a month, after the month has
ended (e.g. from cron on the 1st at 01:00 JST, the month before by default); it is safe to run
again. It acts as that account: the authorization layer decides what it reaches, and every
claim written is audited under its name, with this run's request id (printed, to search the
audit log by). It prints counts only.
"""

from __future__ import annotations

import time
import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from tsuen.accounts.models import User
from tsuen.billing.services_month import DEFAULT_BATCH_SIZE, generate_month_claims
from tsuen.core import clock, context, tenancy
from tsuen.core.middleware import scope_for
from tsuen.municipalities.models import Municipality


def _last_month() -> tuple[int, int]:
    today = clock.today()
    if today.month == 1:
        return today.year - 1, 12
    return today.year, today.month - 1


class Command(BaseCommand):
    help = (
        "Draft the month's claims of every facility the given account may (the national "
        "operator: all, or one municipality's). Safe to run again; submitted claims stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as",
            dest="email",
            required=True,
            help="the account that runs it (named in the audit log); e.g. a national operator",
        )
        parser.add_argument("--year", type=int, help="default: the month before this one")
        parser.add_argument("--month", type=int)
        parser.add_argument(
            "--municipality", metavar="CODE", help="only the facilities located in it"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args, email, year, month, municipality, batch_size, **options):
        if (year is None) != (month is None):
            raise CommandError("give both --year and --month, or neither (the month before)")
        if year is None:
            year, month = _last_month()
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"no active account {email!r}")
        where = None
        if municipality:
            with tenancy.cross_tenant("the month run: the municipality named"):
                where = Municipality.objects.filter(code=municipality).first()
            if where is None:
                raise CommandError(f"no municipality with the code {municipality!r}")
        actor = context.Actor(
            user_id=user.pk,
            role=user.role,
            municipality_id=user.municipality_id,
            request_id=f"generate_month_claims-{uuid.uuid4().hex}",
        )
        started = time.monotonic()

        def progress(run):
            if run.batches % 50 == 0:
                self.stdout.write(
                    f"  {run.facilities} facilities, {run.claims} claims, "
                    f"{time.monotonic() - started:.0f}s"
                )

        try:
            with context.acting_as(actor), scope_for(user):
                run = generate_month_claims(
                    user,
                    year,
                    month,
                    municipality=where,
                    batch_size=batch_size,
                    progress=progress,
                )
        except Http404:
            raise CommandError(f"{email} may not draft claims") from None
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from None
        self.stdout.write(
            f"{year}-{month:02d}: {run.facilities} facilities, {run.claims} draft claims, "
            f"{run.lines} lines, {run.deleted} empty drafts deleted, {len(run.refused)} "
            f"refused, in {time.monotonic() - started:.1f}s; audit request id {actor.request_id}"
        )
        for refusal in run.refused:
            self.stdout.write(
                f"  refused: facility {refusal.facility_id} "
                f"({refusal.facility_number or 'no number'}): {refusal.message}"
            )
