"""``manage.py seal_audit_chain [--loop SECONDS] [--batch-size N]``

Seals the audit events appended since the last run into their municipality's hash chain (see
``tsuen.audit.sequencer``). Once by default; ``--loop 2`` keeps running and seals every two
seconds, which bounds how long an event stays unsealed (docs/audit.md, "The sealing window").
"""

from __future__ import annotations

from tsuen.audit.sequencer import DEFAULT_BATCH_SIZE, seal
from tsuen.core.batch_command import BatchLoopCommand


class Command(BatchLoopCommand):
    help = "Seal appended audit events into their hash chains (once, or every --loop seconds)."
    run = seal
    default_batch_size = DEFAULT_BATCH_SIZE
    done = "sealed %d audit events"
    batch_help = "events sealed per batch"
