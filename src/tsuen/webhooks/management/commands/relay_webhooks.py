"""``manage.py relay_webhooks [--loop SECONDS] [--batch-size N]``

Fans the committed outbox events out to the endpoints that want them and hands the endpoints
with deliveries due to the task worker (``tsuen.webhooks.delivery.relay``). Once by default;
``--loop 2`` keeps running beside the worker, which bounds how long an event waits before it
is sent (docs/webhooks.md, "Operating")."""

from __future__ import annotations

from tsuen.core.batch_command import BatchLoopCommand
from tsuen.webhooks.delivery import DEFAULT_BATCH_SIZE, relay


class Command(BatchLoopCommand):
    help = "Relay webhook events to their endpoints' queues (once, or every --loop seconds)."
    run = relay
    default_batch_size = DEFAULT_BATCH_SIZE
    done = "relayed %d events and endpoints"
    batch_help = "events fanned out per round"
