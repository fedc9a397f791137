"""The one place that reads the wall clock.

Services take ``now`` as a parameter and default to :func:`now`; tests freeze it with
:func:`frozen`. The rules package never reads the clock at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[dt.datetime | None] = ContextVar("tsuen_frozen_now", default=None)
# A clock frozen for every thread of the process: a browser test's live server answers requests
# in its own thread, which a context variable set in the test's thread does not reach.
_frozen_everywhere: dt.datetime | None = None


def now() -> dt.datetime:
    fixed = _frozen.get()
    if fixed is None:
        fixed = _frozen_everywhere
    return fixed if fixed is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextmanager
def frozen(at: dt.datetime, *, all_threads: bool = False) -> Iterator[dt.datetime]:
    """Freeze :func:`now` at ``at`` in this context; with ``all_threads`` also in every other
    thread (for the live server of browser tests; not for concurrent code)."""
    global _frozen_everywhere
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    token = _frozen.set(at)
    before = _frozen_everywhere
    if all_threads:
        _frozen_everywhere = at
    try:
        yield at
    finally:
        _frozen.reset(token)
        _frozen_everywhere = before
