"""The task queue's backend: ``django_tasks_db``'s, with the task's row written by one statement
kept per process (``core.compiled.insert``) instead of built by the ORM on every enqueue.

Every booking queues its confirmation email in its own transaction (``notices.services``): at
the 09:00 rush the ORM's ``create`` of the task's row cost as much Python as the booking's own
rules (bench/booking_rush.py). The row is the one the library writes (the same fields, from
the same task attributes); the worker, the results and the checks are the library's.
"""

from __future__ import annotations

from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json

from tsuen.core import compiled


class TaskBackend(DatabaseBackend):
    def _task_to_db_task(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult

        return compiled.insert(
            DBTaskResult(
                id=self._get_id(),
                args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=task.run_after,
                backend_name=self.alias,
            )
        )
