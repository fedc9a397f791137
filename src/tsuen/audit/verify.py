"""Verification of the audit chains: recompute every hash in order, name the first break.

Shared by the ``verify_audit_chain`` command and the tests. Events are streamed in sequence
order in chunks (a server-side cursor in a transaction), so a chain of millions of events is
checked in bounded memory. Events not yet
sealed by the sequencer have no place in the chain to check: they are counted, with the age of
the oldest, and one older than :data:`STALE_AFTER` is a problem (the sequencer is not running).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Min

from tsuen.audit.chain import GENESIS_HASH, HASHED_FIELDS, UnknownKey, event_hash
from tsuen.audit.models import NATIONAL_CHAIN, AuditChainHead, AuditEvent, chain_key
from tsuen.core import clock
from tsuen.municipalities.models import Municipality

#: An event still unsealed after this long means the sequencer is not keeping up, or not running.
STALE_AFTER = dt.timedelta(minutes=5)


class Problem(enum.StrEnum):
    SEQUENCE_GAP = "sequence gap"
    PREV_HASH_MISMATCH = "prev-hash mismatch"
    HASH_MISMATCH = "hash mismatch"
    HEAD_MISMATCH = "chain head mismatch"
    UNKNOWN_KEY = "unknown audit key"
    UNKEYED_AFTER_KEYED = "unkeyed event after keyed ones"
    UNSEALED_TOO_LONG = "unsealed too long"


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """The outcome for one chain. When broken, names the first event that fails."""

    chain: str  # the municipality code, or "national"
    municipality_id: int | None
    events_checked: int
    head_seq: int
    head_hash: str
    problem: Problem | None = None
    broken_event_id: int | None = None  # None when events are missing at the end
    broken_seq: int | None = None
    detail: str = ""
    unsealed: int = 0  # events appended but not yet sealed into the chain
    oldest_unsealed_age: dt.timedelta | None = None
    first_seq: int = 1  # the first event checked: 1 for the whole chain, more for its latest

    @property
    def whole(self) -> bool:
        """Whether the whole chain was checked, not only its latest events."""
        return self.first_seq <= 1

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def unsealed_text(self) -> str:
        if not self.unsealed:
            return "none unsealed"
        seconds = self.oldest_unsealed_age.total_seconds() if self.oldest_unsealed_age else 0
        return f"{self.unsealed} unsealed, oldest {seconds:.0f} s"

    def __str__(self) -> str:
        if self.ok:
            return (
                f"OK      {self.chain}: {self.events_checked} events, "
                f"head seq {self.head_seq} hash {self.head_hash}; {self.unsealed_text}"
            )
        return (
            f"BROKEN  {self.chain}: first broken event id={self.broken_event_id} "
            f"seq={self.broken_seq}: {self.problem}: {self.detail}; {self.unsealed_text}"
        )


def verify_chain(
    municipality_id: int | None,
    *,
    chunk_size: int = 2000,
    stale_after: dt.timedelta = STALE_AFTER,
    latest: int | None = None,
) -> VerifyResult:
    """Check one municipality's chain (``None``: the national chain) from its first event, or
    with ``latest`` only its last ``latest`` events (linked to the hash of the event before
    them) and the head: what a page can check within a request at any size of the log.

    Also counts the chain's unsealed events; the oldest being older than ``stale_after`` is a
    problem when the sealed part is intact (a broken chain is reported first).
    """
    label = _label(municipality_id)
    # Counted before the head is read, so an event sealed in between is in the chain we check.
    pending = AuditEvent.objects.filter(municipality_id=municipality_id, seq__isnull=True)
    waiting = pending.aggregate(count=Count("id"), oldest=Min("occurred_at"))
    unsealed = {
        "unsealed": waiting["count"],
        "oldest_unsealed_age": clock.now() - waiting["oldest"] if waiting["oldest"] else None,
    }
    head = AuditChainHead.objects.filter(key=chain_key(municipality_id)).first()
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS_HASH)

    first_seq = 1
    if head is not None and latest is not None and head.seq > latest:
        first_seq = head.seq - latest + 1

    def broken(problem: Problem, event_id, seq, detail: str, checked: int) -> VerifyResult:
        return VerifyResult(
            label,
            municipality_id,
            events_checked=checked,
            head_seq=head_seq,
            head_hash=head_hash,
            problem=problem,
            broken_event_id=event_id,
            broken_seq=seq,
            detail=detail,
            **unsealed,
            first_seq=first_seq,
        )

    def intact(checked: int) -> VerifyResult:
        age = unsealed["oldest_unsealed_age"]
        if age is not None and age > stale_after:
            oldest = pending.order_by("occurred_at", "id").values_list("id", flat=True).first()
            return broken(
                Problem.UNSEALED_TOO_LONG,
                oldest,
                None,
                f"the oldest unsealed event is {age.total_seconds():.0f} s old "
                f"(more than {stale_after.total_seconds():.0f} s): is the sequencer running?",
                checked,
            )
        return VerifyResult(
            label, municipality_id, checked, head_seq, head_hash, **unsealed, first_seq=first_seq
        )

    if head is None:  # nothing was ever sealed for this municipality
        return intact(0)

    # Events appended while we verify lie beyond the head we read, and wait for the next run.
    expected_seq, prev_hash, last_id = 1, GENESIS_HASH, None
    if first_seq > 1:
        # The latest events link to the hash of the one before them, which is taken as given.
        anchor = (
            AuditEvent.objects.filter(chain=head, seq=first_seq - 1)
            .values_list("id", "hash")
            .first()
        )
        if anchor is None:
            return broken(
                Problem.SEQUENCE_GAP,
                None,
                first_seq - 1,
                f"the event with seq {first_seq - 1} is missing (deleted)",
                0,
            )
        expected_seq, (last_id, prev_hash) = first_seq, anchor
    rows = (
        AuditEvent.objects.filter(chain=head, seq__gte=expected_seq, seq__lte=head.seq)
        .order_by("seq")
        .values("id", "hash", "key_version", *HASHED_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    # In a transaction, PostgreSQL's server-side cursor streams the chain as it is read; in
    # autocommit Django declares it WITH HOLD, which makes the server materialise the whole
    # chain (millions of rows) before the first chunk. No savepoint: nothing is written.
    keyed = False  # once an event is keyed, every later one must be
    with transaction.atomic(savepoint=False):
        for row in rows:
            problem, detail = _check(row, expected_seq, prev_hash, keyed)
            keyed = keyed or row["key_version"] is not None
            if problem:
                return broken(problem, row["id"], row["seq"], detail, expected_seq - first_seq)
            expected_seq, prev_hash, last_id = row["seq"] + 1, row["hash"], row["id"]
    last_seq = expected_seq - 1
    if head.seq != last_seq:
        return broken(
            Problem.HEAD_MISMATCH,
            None,
            last_seq + 1,
            f"the chain head records seq {head.seq} but the last event is seq {last_seq} "
            "(events missing at the end)",
            last_seq - first_seq + 1,
        )
    if head.head_hash != prev_hash:
        return broken(
            Problem.HEAD_MISMATCH,
            last_id,
            last_seq,
            "the last event's hash is not the one the chain head recorded (rewritten)",
            last_seq - first_seq + 1,
        )
    return intact(last_seq - first_seq + 1)


def verify_all(
    *, chunk_size: int = 2000, stale_after: dt.timedelta = STALE_AFTER
) -> list[VerifyResult]:
    """Every chain that has events: the national one first, then by municipality code."""
    chains = set(AuditChainHead.objects.values_list("municipality_id", flat=True))
    chains |= set(
        AuditEvent.objects.filter(seq__isnull=True)
        .values_list("municipality_id", flat=True)
        .distinct()
    )
    results = [
        verify_chain(municipality_id, chunk_size=chunk_size, stale_after=stale_after)
        for municipality_id in chains
    ]
    return sorted(results, key=lambda r: (r.municipality_id is not None, r.chain))


def _check(row: dict, expected_seq: int, prev_hash: str, keyed: bool) -> tuple[Problem | None, str]:
    if row["seq"] != expected_seq:
        why = "events deleted before it" if row["seq"] > expected_seq else "seq edited"
        return Problem.SEQUENCE_GAP, f"expected seq {expected_seq}, found {row['seq']} ({why})"
    if row["prev_hash"] != prev_hash:
        return Problem.PREV_HASH_MISMATCH, "it does not link to the event before it"
    if keyed and row["key_version"] is None:
        return (
            Problem.UNKEYED_AFTER_KEYED,
            "it carries no audit key after keyed events (rewritten without the key)",
        )
    try:
        expected = event_hash(row)
    except UnknownKey as error:
        return Problem.UNKNOWN_KEY, f"{error} (add it back, or the chain was forged)"
    except ImproperlyConfigured as error:  # no key at all here: unverifiable, never "intact"
        return Problem.UNKNOWN_KEY, str(error)
    if expected != row["hash"]:
        return Problem.HASH_MISMATCH, "its content does not match its hash (edited)"
    return None, ""


def _label(municipality_id: int | None) -> str:
    if municipality_id is None:
        return NATIONAL_CHAIN
    code = Municipality.objects.filter(pk=municipality_id).values_list("code", flat=True).first()
    return code or f"municipality id {municipality_id}"
