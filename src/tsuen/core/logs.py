"""Logging filters of the settings' ``LOGGING``."""

from __future__ import annotations

import logging


class AnsweredRefusals(logging.Filter):
    """Leaves out Django's "Bad Request" warning (logger ``django.request``) for a 400 answer.

    tsuen answers 400 when it shows a form again with its errors or refuses a booking with the
    reason on the page: an answer to the user, not a fault of the server. At the 09:00 rush
    nearly half the booking confirms are refused, and each would write a warning line. Every
    other status is logged as before (403, 404, 405 as warnings; 5xx as errors), and Django's
    own warnings for suspicious requests go to ``django.security``, which this does not touch.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 400
