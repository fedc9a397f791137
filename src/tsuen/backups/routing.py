"""Send the ORM's queries to the database being restored while it is checked.

The audit chain verification (:mod:`tsuen.audit.verify`) queries through the default managers.
During a restore or a drill into another database alias, :func:`routed_to` makes those queries
go to that alias; outside it the router says nothing and Django uses ``default``.
"""

from __future__ import annotations

import contextlib
import contextvars

_target: contextvars.ContextVar[str | None] = contextvars.ContextVar("restore_target", default=None)


@contextlib.contextmanager
def routed_to(alias: str):
    token = _target.set(alias)
    try:
        yield
    finally:
        _target.reset(token)


class RestoreTargetRouter:
    def db_for_read(self, model, **hints):
        return _target.get()

    def db_for_write(self, model, **hints):
        return _target.get()
