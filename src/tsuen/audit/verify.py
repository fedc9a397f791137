"""Verification of the audit chains: recompute every hash in order, name the first break.

Shared by the ``verify_audit_chain`` command and the tests. Events are streamed in sequence
order in chunks, so a chain of millions of events is checked in bounded memory.
"""

from __future__ import annotations

import dataclasses
import enum

from tsuen.audit.chain import GENESIS_HASH, HASHED_FIELDS, event_hash
from tsuen.audit.models import NATIONAL_CHAIN, AuditChainHead, AuditEvent, chain_key
from tsuen.municipalities.models import Municipality


class Problem(enum.StrEnum):
    SEQUENCE_GAP = "sequence gap"
    PREV_HASH_MISMATCH = "prev-hash mismatch"
    HASH_MISMATCH = "hash mismatch"
    HEAD_MISMATCH = "chain head mismatch"


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

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.ok:
            return (
                f"OK      {self.chain}: {self.events_checked} events, "
                f"head seq {self.head_seq} hash {self.head_hash}"
            )
        return (
            f"BROKEN  {self.chain}: first broken event id={self.broken_event_id} "
            f"seq={self.broken_seq}: {self.problem}: {self.detail}"
        )


def verify_chain(municipality_id: int | None, *, chunk_size: int = 2000) -> VerifyResult:
    """Check one municipality's chain (``None``: the national chain) from its first event."""
    head = AuditChainHead.objects.filter(key=chain_key(municipality_id)).first()
    if head is None:  # nothing was ever recorded for this municipality
        return VerifyResult(_label(municipality_id), municipality_id, 0, 0, GENESIS_HASH)
    label = _label(municipality_id)

    def broken(problem: Problem, event_id, seq, detail: str, checked: int) -> VerifyResult:
        return VerifyResult(
            label,
            municipality_id,
            events_checked=checked,
            head_seq=head.seq,
            head_hash=head.head_hash,
            problem=problem,
            broken_event_id=event_id,
            broken_seq=seq,
            detail=detail,
        )

    # Events appended while we verify lie beyond the head we read, and wait for the next run.
    expected_seq, prev_hash, last_id = 1, GENESIS_HASH, None
    rows = (
        AuditEvent.objects.filter(chain=head, seq__lte=head.seq)
        .order_by("seq")
        .values("id", "hash", *HASHED_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for row in rows:
        problem, detail = _check(row, expected_seq, prev_hash)
        if problem:
            return broken(problem, row["id"], row["seq"], detail, expected_seq - 1)
        expected_seq, prev_hash, last_id = row["seq"] + 1, row["hash"], row["id"]
    last_seq = expected_seq - 1
    if head.seq != last_seq:
        return broken(
            Problem.HEAD_MISMATCH,
            None,
            last_seq + 1,
            f"the chain head records seq {head.seq} but the last event is seq {last_seq} "
            "(events missing at the end)",
            last_seq,
        )
    if head.head_hash != prev_hash:
        return broken(
            Problem.HEAD_MISMATCH,
            last_id,
            last_seq,
            "the last event's hash is not the one the chain head recorded (rewritten)",
            last_seq,
        )
    return VerifyResult(label, municipality_id, last_seq, head.seq, head.head_hash)


def verify_all(*, chunk_size: int = 2000) -> list[VerifyResult]:
    """Every chain that has events: the national one first, then by municipality code."""
    heads = AuditChainHead.objects.values_list("municipality_id", flat=True)
    results = [verify_chain(municipality_id, chunk_size=chunk_size) for municipality_id in heads]
    return sorted(results, key=lambda r: (r.municipality_id is not None, r.chain))


def _check(row: dict, expected_seq: int, prev_hash: str) -> tuple[Problem | None, str]:
    if row["seq"] != expected_seq:
        why = "events deleted before it" if row["seq"] > expected_seq else "seq edited"
        return Problem.SEQUENCE_GAP, f"expected seq {expected_seq}, found {row['seq']} ({why})"
    if row["prev_hash"] != prev_hash:
        return Problem.PREV_HASH_MISMATCH, "it does not link to the event before it"
    if event_hash(row) != row["hash"]:
        return Problem.HASH_MISMATCH, "its content does not match its hash (edited)"
    return None, ""


def _label(municipality_id: int | None) -> str:
    if municipality_id is None:
        return NATIONAL_CHAIN
    code = Municipality.objects.filter(pk=municipality_id).values_list("code", flat=True).first()
    return code or f"municipality id {municipality_id}"
