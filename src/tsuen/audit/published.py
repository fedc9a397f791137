"""Chain heads published outside the database (council item 12).

Every day the operator writes each chain's head (its last sequence number and hash) to a file
kept outside the database (``manage.py publish_audit_heads --out FILE``, appended one JSON line
a chain; the monthly report prints them too). The keyed chain stops someone without the audit
key; a published head stops even someone with it: whoever rewrites a chain from a point must
change the hash of every later event, and the hash of an event that was published is on paper
and in the operator's archive. ``manage.py verify_audit_chain --published FILE`` compares every
published head with the event now at that place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tsuen.audit.models import NATIONAL_CHAIN, AuditChainHead, AuditEvent
from tsuen.core import clock


@dataclass(frozen=True)
class PublishedHead:
    chain: str  # the chain head's key: "municipality:<id>" or "national"
    label: str  # the municipality's code, or "national"
    seq: int
    hash: str
    at: str  # when it was published (ISO 8601)

    def line(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)


def current_heads() -> list[PublishedHead]:
    """Every chain's head now: the national chain first, then by municipality code."""
    at = clock.now().isoformat(timespec="seconds")
    heads = AuditChainHead.objects.select_related("municipality").order_by("key")
    found = [
        PublishedHead(
            head.key,
            head.municipality.code if head.municipality_id else NATIONAL_CHAIN,
            head.seq,
            head.head_hash,
            at,
        )
        for head in heads
        if head.seq
    ]
    return sorted(found, key=lambda h: (h.label != NATIONAL_CHAIN, h.label))


def publish(path: Path) -> list[PublishedHead]:
    """Append the current heads to ``path`` (one JSON line a chain) and return them."""
    heads = current_heads()
    with path.open("a", encoding="utf-8") as out:
        for head in heads:
            out.write(head.line() + "\n")
    return heads


def read(lines: Iterable[str]) -> list[PublishedHead]:
    """The heads of a published file; ``ValueError`` naming the line that is not one."""
    heads = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            heads.append(PublishedHead(**json.loads(line)))
        except (TypeError, ValueError) as error:
            raise ValueError(f"line {number} is not a published head: {error}") from None
    return heads


def disagreements(heads: Iterable[PublishedHead]) -> list[str]:
    """Each published head whose event is no longer there, or no longer has that hash."""
    found = []
    for head in heads:
        event = (
            AuditEvent.objects.filter(chain__key=head.chain, seq=head.seq)
            .values_list("hash", flat=True)
            .first()
        )
        if event is None:
            found.append(f"{head.label}: seq {head.seq} published {head.at} is missing")
        elif event != head.hash:
            found.append(
                f"{head.label}: seq {head.seq} published {head.at} has another hash now: "
                f"the chain was rewritten at or before it"
            )
    return found
