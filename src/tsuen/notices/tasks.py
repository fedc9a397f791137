"""Background jobs of the notices app, for the ``django.tasks`` database backend."""

from __future__ import annotations

from django.tasks import task

from tsuen.notices.reminders import DEFAULT_HOURS, send_reminders


@task()
def send_reminders_task(hours: int = DEFAULT_HOURS) -> int:
    """The reminder job as a task (enqueue it from a scheduler; the worker runs it)."""
    return send_reminders(hours=hours)
