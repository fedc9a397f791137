"""The clock: frozen per context, or for every thread (the live server of browser tests)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

from tsuen.core import clock

AT = dt.datetime(2026, 6, 10, 15, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def _in_another_thread():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(clock.now()))
    worker.start()
    worker.join()
    return seen[0]


def test_a_frozen_context_does_not_reach_other_threads():
    with clock.frozen(AT):
        assert clock.now() == AT
        assert _in_another_thread() != AT


def test_all_threads_reaches_other_threads_and_is_undone():
    with clock.frozen(AT, all_threads=True):
        assert _in_another_thread() == AT
        assert clock.today() == dt.date(2026, 6, 10)
    assert _in_another_thread() != AT
    assert clock.now() != AT
