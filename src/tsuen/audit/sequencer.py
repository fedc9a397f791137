"""The sequencer: seals appended audit events into their municipality's hash chain.

Requests append events unsealed (no ``chain``, ``seq``, ``prev_hash``, ``hash``) in their own
transaction, so no request waits for another. :func:`seal` gives them their places: for one chain
at a time it locks the chain head (``SELECT ... FOR UPDATE``; SQLite's immediate transactions
admit one writer), takes that chain's unsealed events in ``id`` order, numbers them and signs each
with the audit key (HMAC, ``tsuen.audit.chain``), stores the chain columns in one UPDATE and moves
the head, all in one transaction per batch. Without ``TSUEN_AUDIT_KEYS`` it refuses to seal.

Only the sequencer ever takes the head lock, so two sequencers running at once queue on it and
the chain never forks; the unique ``(chain, seq)`` constraint is the last wall behind it. A
sequencer that dies mid-batch rolls its batch back: the events stay unsealed and the next run
seals them. Run it with ``manage.py seal_audit_chain --loop 2`` (or the task
:func:`tsuen.audit.tasks.seal_audit_chain_task`).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max

from tsuen.audit.chain import sealing_key_version
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key

DEFAULT_BATCH_SIZE = 500

# Only the table's own name and placeholders are formatted in; every value is a parameter.
_SEAL_SQL = (
    "UPDATE {table} AS e SET chain_id = %s, seq = v.column2, prev_hash = v.column3, "  # nosec B608
    "hash = v.column4, key_version = %s "
    "FROM (VALUES {rows}) AS v WHERE e.id = v.column1 AND e.seq IS NULL"
)


class SealError(RuntimeError):
    """A batch could not be sealed as read (someone else changed it): rolled back, retry."""


def seal(*, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Seal every event unsealed when the call starts; return how many this call sealed.

    Events appended while it runs wait for the next call, so a busy ward cannot keep one call
    going forever. Chains are sealed one after the other, each in batches of ``batch_size``.
    """
    unsealed = AuditEvent.objects.filter(seq__isnull=True)
    upto = unsealed.aggregate(last=Max("id"))["last"]
    if upto is None:
        return 0
    chains = set(unsealed.filter(id__lte=upto).values_list("municipality_id", flat=True))
    sealed = 0
    for municipality_id in sorted(chains, key=lambda m: (m is not None, m or 0)):
        while count := seal_batch(municipality_id, batch_size=batch_size, upto=upto):
            sealed += count
            if count < batch_size:
                break
    return sealed


def seal_batch(
    municipality_id: int | None, *, batch_size: int = DEFAULT_BATCH_SIZE, upto: int | None = None
) -> int:
    """Seal up to ``batch_size`` of one chain's unsealed events (``id`` ≤ ``upto``), in order."""
    with transaction.atomic():
        head = locked_head(municipality_id)
        # Read after the lock: a sequencer that held it before us has committed its batch.
        pending = AuditEvent.objects.filter(municipality_id=municipality_id, seq__isnull=True)
        if upto is not None:
            pending = pending.filter(id__lte=upto)
        events = list(pending.order_by("id")[:batch_size])
        if not events:
            return 0
        key_version = sealing_key_version()  # refuses without TSUEN_AUDIT_KEYS
        for event in events:
            event.key_version = key_version
            event.chain_id = head.pk
            event.seq = head.seq + 1
            event.prev_hash = head.head_hash
            event.hash = event.compute_hash()
            head.seq, head.head_hash = event.seq, event.hash
        _store_seals(head, events)
        head.save(update_fields=["seq", "head_hash"])
    return len(events)


def locked_head(municipality_id: int | None) -> AuditChainHead:
    """The chain's head row, locked until the end of the transaction; created if new."""
    key = chain_key(municipality_id)
    heads = AuditChainHead.objects.select_for_update()
    try:
        return heads.get(key=key)
    except AuditChainHead.DoesNotExist:
        # The chain's first seal: a racing sequencer's insert makes get_or_create fetch theirs.
        AuditChainHead.objects.get_or_create(key=key, defaults={"municipality_id": municipality_id})
        return heads.get(key=key)


def _store_seals(head: AuditChainHead, events: list[AuditEvent]) -> None:
    """One UPDATE for the batch, of unsealed rows only (the model's own update() refuses).

    This is the one update of an audit row there is; on PostgreSQL the append-only trigger lets
    exactly this change through. ``UPDATE ... FROM (VALUES ...)`` is understood by PostgreSQL
    and SQLite alike (a VALUES list's columns are ``column1``, ``column2``, ... in both).
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(events))
    params: list = [head.pk, events[0].key_version]
    for event in events:
        params += [event.pk, event.seq, event.prev_hash, event.hash]
    with connection.cursor() as cursor:
        cursor.execute(_SEAL_SQL.format(table=table, rows=rows), params)
        updated = cursor.rowcount
    if updated != len(events):
        raise SealError(f"sealed {updated} of {len(events)} events of {head.key}; rolled back")
