"""The month's claims of many facilities at once: the national month run (issue 11, item 5).

:func:`generate_month_claims` drafts the month's claims of every facility the user may
(``Action.CLAIM_GENERATE``: the national operator every facility, optionally those of one
municipality; a facility's manager its own), as each facility's manager would with
``services.generate_claims``, with the same pricing, the same drafts and the same refusals.
It walks the facilities in batches of ``batch_size`` (in id order, a page at a time: the month
is never loaded whole, memory stays flat however many visits the country has) and, per batch,
in one transaction: locks the facilities' rows, reads the batch's visits of the month, the
children's visits of the fiscal year, their fee classes, interviews, policies and earlier
visits in one query each, and writes the claims, their lines and one audit event per claim in
bulk (``services.claim_facilities``). A facility with a claim already submitted for the month
is refused as a whole and reported; the others go on. Safe to run again: drafts are
regenerated in place. docs/billing.md, "The month run".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from tsuen import rules
from tsuen.authz.policy import Action, filter_allowed, require
from tsuen.billing import services
from tsuen.billing.services import ClaimRefused, check_month, refuse_unfinished_month
from tsuen.facilities.models import Facility
from tsuen.national import services as national_services

#: Facilities a batch (a transaction, one query per kind of data). About 20 visits a facility
#: make 2,000 visits a batch: big enough that the per-query cost vanishes, small enough that a
#: batch holds its locks for well under a second.
DEFAULT_BATCH_SIZE = 100


@dataclass(frozen=True)
class Refusal:
    """A facility whose month was left as it was, and why (a message for people)."""

    facility_id: int
    facility_number: str
    message: str


@dataclass
class MonthRun:
    """What one month run did (counts only: no child, no amount)."""

    year: int
    month: int
    facilities: int = 0
    claims: int = 0
    lines: int = 0
    deleted: int = 0
    batches: int = 0
    refused: list[Refusal] = field(default_factory=list)


def generate_month_claims(
    user,
    year,
    month,
    *,
    municipality=None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[MonthRun], None] | None = None,
) -> MonthRun:
    """Draft the month's claims of every facility ``user`` may (``Action.CLAIM_GENERATE``),
    only those located in ``municipality`` (a Municipality or its id) when given.

    Run it as the acting user (``context.acting_as``; the audit events name them) in the scope
    the middleware gives them (``core.middleware.scope_for``). Refuses a bad or unfinished month
    before anything is read (``ClaimRefused``); 404 for a user who may draft no claim.
    ``progress`` is called after each batch.
    """
    year, month = check_month(year, month)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    require(user, Action.CLAIM_GENERATE, Facility)
    refuse_unfinished_month(year, month)
    allowed = filter_allowed(user, Action.CLAIM_GENERATE, Facility.objects.all())
    if municipality is not None:
        allowed = allowed.filter(municipality=municipality)
    # The year's national table, read once for the run (every batch prices with it).
    first, _last = services._month_days(year, month)
    national: rules.BenefitRates = national_services.national_rates(rules.fiscal_year_of(first))
    run = MonthRun(year, month)
    after = 0
    while True:
        ids = list(
            allowed.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return run
        with transaction.atomic():
            # Locked in id order, as generate_claims locks its one facility: a manager's own
            # generation and the month run wait for each other, never deadlock.
            facilities = list(
                Facility.unscoped.select_for_update().filter(pk__in=ids).order_by("pk")
            )
            written = services.claim_facilities(facilities, year, month, national=national)
        run.facilities += len(facilities)
        run.claims += sum(len(claims) for claims in written.claims.values())
        run.lines += written.lines
        run.deleted += written.deleted
        run.batches += 1
        numbers = {facility.pk: facility.facility_number for facility in facilities}
        run.refused += [
            Refusal(pk, numbers[pk], _message(refused)) for pk, refused in written.refused.items()
        ]
        after = ids[-1]
        if progress is not None:
            progress(run)


def _message(refused: ClaimRefused) -> str:
    return " ".join(str(message) for message in refused.messages)
