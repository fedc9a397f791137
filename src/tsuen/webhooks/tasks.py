"""Background jobs of the webhooks app, for the ``django.tasks`` database backend."""

from __future__ import annotations

from django.tasks import task

from tsuen.webhooks import delivery


@task()
def deliver_endpoint_task(endpoint_id: int) -> int:
    """Send one endpoint's due deliveries, in order (queued by the relay)."""
    return delivery.deliver_endpoint(endpoint_id)


@task()
def relay_webhooks_task() -> int:
    """One round of the relay (for schedulers that prefer to enqueue)."""
    return delivery.relay()
