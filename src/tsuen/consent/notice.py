"""The purpose notice (利用目的の通知) and its versions.

The text of each version is a template (``consent/notice_v<N>.html``); what a guardian agreed to
is the version number stored on the :class:`~tsuen.consent.models.Consent`. Changing what the
notice says means adding a new version here (never editing an old template): every household is
then asked to agree again before it enters sensitive data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tsuen.core import clock


@dataclass(frozen=True)
class PurposeNotice:
    version: int
    effective_from: dt.date
    template: str


#: Every version, oldest first. The current one is the latest already in effect.
NOTICES: tuple[PurposeNotice, ...] = (
    PurposeNotice(1, dt.date(2026, 4, 1), "consent/notice_v1.html"),
)


def current_notice(today: dt.date | None = None) -> PurposeNotice:
    today = today or clock.today()
    in_effect = [n for n in NOTICES if n.effective_from <= today]
    if not in_effect:  # fail closed: no notice means no sensitive data can be entered
        raise LookupError("no purpose notice is in effect")
    return max(in_effect, key=lambda n: n.version)
