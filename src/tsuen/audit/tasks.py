"""Background jobs of the audit trail, for the ``django.tasks`` database backend."""

from __future__ import annotations

from django.tasks import task

from tsuen.audit.sequencer import DEFAULT_BATCH_SIZE, seal


@task()
def seal_audit_chain_task(batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Seal the unsealed audit events into their chains (enqueue it from a scheduler)."""
    return seal(batch_size=batch_size)
