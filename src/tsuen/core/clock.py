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


def now() -> dt.datetime:
    fixed = _frozen.get()
    return fixed if fixed is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextmanager
def frozen(at: dt.datetime) -> Iterator[dt.datetime]:
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    token = _frozen.set(at)
    try:
        yield at
    finally:
        _frozen.reset(token)
