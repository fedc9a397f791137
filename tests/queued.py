"""The emails queued for the task worker, as the worker will send them.

A notice is rendered by the worker when it sends it (tsuen.notices.services): the queued task
keeps the notice's context, not its text. Running the worker itself closes the test's database
connection; tests/notices proves that the worker sends what is queued."""

from __future__ import annotations


def as_sent(row) -> tuple[str, str, str]:
    """(address, subject, body) of one queued email task."""
    from tsuen.notices.services import render_stored

    address, subject, body = row.args_kwargs["args"]
    notice = row.args_kwargs["kwargs"].get("notice")
    if notice is not None:
        subject, body = render_stored(notice)
    return address, subject, body


def queued_mail() -> list[tuple[str, str, str]]:
    """(address, subject, body) of every email queued for the worker, oldest first."""
    from django_tasks_db.models import DBTaskResult

    return [as_sent(row) for row in DBTaskResult.objects.order_by("enqueued_at", "pk")]
