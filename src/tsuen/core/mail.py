"""Development mail: every email of every process in one readable file.

On a development server (``TSUEN_DEBUG=1``) the web server and the background worker
(``db_worker``, which sends the notices) both append their emails to ``var/mail.log``
(``settings.DEV_MAIL_FILE``): ``tail -f var/mail.log`` shows them all, in the order sent.
Each is written as plain UTF-8 — headers unencoded (no ``=?utf-8?b?…?=``), the body in 8 bits
(no base64) — so a Japanese subject and body read as they are. Real mail (the SMTP backend)
stays encoded as the mail standards want.
"""

from __future__ import annotations

import email.policy
import sys
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend

#: Unfolded UTF-8 headers; lines up to SMTP's 998-byte limit stay 8-bit instead of base64.
READABLE = email.policy.default.clone(utf8=True, max_line_length=998)


def readable(message) -> str:
    """A Django ``EmailMessage`` as a person reads it: UTF-8 headers and 8-bit body."""
    return message.message(policy=READABLE).as_bytes().decode("utf-8")


class DevMailBackend(ConsoleBackend):
    """Appends every message, readable, to one file (``path``, default
    ``settings.DEV_MAIL_FILE``); with no file, to standard output."""

    def __init__(self, *args, path: str | Path | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = Path(path or getattr(settings, "DEV_MAIL_FILE", "") or "") or None

    def open(self):
        if self.path is None or str(self.path) in ("", "."):
            self.stream = sys.stdout
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = self.path.open("a", encoding="utf-8")
        return True

    def close(self):
        if self.stream is not sys.stdout:
            self.stream.close()

    def write_message(self, message):
        # One write per message: the web server and the worker append to the same file.
        self.stream.write(f"{readable(message)}\n{'-' * 79}\n")
