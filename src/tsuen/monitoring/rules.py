"""The anomaly rules' decisions (SECURITY.md item 12), as pure functions: no Django, no clock.

:mod:`tsuen.monitoring.detect` reads the figures out of the audit log with SQL aggregations;
the functions here say whether a figure is anomalous. The thresholds are the named constants
below, explained for the ward's officials in docs/monitoring.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from statistics import median

# --- Rule 1: access to personal data outside office hours -------------------------------------

#: Office hours, Japan time: from OFFICE_OPENS (included) to OFFICE_CLOSES (excluded), on a
#: weekday that is not a national holiday. Before 07:00 or from 21:00 is outside.
OFFICE_OPENS = dt.time(7, 0)
OFFICE_CLOSES = dt.time(21, 0)


def is_office_day(day: dt.date, *, holiday: bool) -> bool:
    """Monday to Friday, and not a national holiday (``holiday`` from the holiday calendar)."""
    return day.weekday() < 5 and not holiday


def outside_office_hours(local: dt.datetime, *, holiday: bool) -> bool:
    """Whether a moment (Japan time) is outside office hours."""
    if not is_office_day(local.date(), holiday=holiday):
        return True
    return not (OFFICE_OPENS <= local.time() < OFFICE_CLOSES)


# --- Rule 2: one account reading far more children than its peers -----------------------------

#: An account is anomalous on a day when it read at least VOLUME_MIN_CHILDREN distinct children
#: AND more than VOLUME_PEER_FACTOR times the median of its peers (the other accounts of the same
#: role that read the ward's children that day). With no peer, the floor alone decides.
VOLUME_PEER_FACTOR = 3
VOLUME_MIN_CHILDREN = 30


def peer_median(peer_counts: Iterable[int]) -> float:
    """The median of the peers' counts; 0 when there is no peer."""
    counts = list(peer_counts)
    return float(median(counts)) if counts else 0.0


def reads_far_more(count: int, peer_counts: Iterable[int]) -> bool:
    """``count`` distinct children read by one account, against its peers' counts (the account
    itself excluded)."""
    if count < VOLUME_MIN_CHILDREN:
        return False
    return count > VOLUME_PEER_FACTOR * peer_median(peer_counts)


def volume_outliers(counts: dict[int, int]) -> dict[int, float]:
    """Of accounts' counts (account id -> distinct children, one role in one ward on one day),
    the anomalous ones, each with the median of its peers."""
    found = {}
    for account, count in counts.items():
        peers = [c for other, c in counts.items() if other != account]
        if reads_far_more(count, peers):
            found[account] = peer_median(peers)
    return found


# --- Rule 3: sensitive reads with no live relationship ----------------------------------------


def sensitive_fields_read(
    object_type: str, field_names: Iterable[str], sensitive: dict[str, frozenset[str]]
) -> frozenset[str]:
    """The S-class fields among those an event names (``sensitive``: object type, as the audit
    log writes it (``families.child``), to its S-class field names)."""
    return frozenset(field_names) & sensitive.get(object_type, frozenset())


def unrelated_children(read: Iterable[int], related: Iterable[int]) -> frozenset[int]:
    """The children whose sensitive data was read with no relationship to show for it."""
    return frozenset(read) - frozenset(related)


# --- Rule 4: bulk exports ----------------------------------------------------------------------

#: More than BULK_EXPORTS_PER_DAY exports or downloads (one per request) by one account in a
#: day, or more than BULK_EXPORT_ROWS_PER_DAY rows exported in a day, is a bulk export.
BULK_EXPORTS_PER_DAY = 10
BULK_EXPORT_ROWS_PER_DAY = 500


def is_bulk_export(exports: int, rows: int) -> bool:
    return exports > BULK_EXPORTS_PER_DAY or rows > BULK_EXPORT_ROWS_PER_DAY


# --- Rule 5: repeated denials and lockouts ----------------------------------------------------

#: DENIALS_PER_HOUR or more refusals within any 60 minutes (DENIALS_WINDOW), from one account
#: or from one address, are repeated denials. Every lockout is an anomaly (its threshold is
#: axes' own).
DENIALS_PER_HOUR = 5
DENIALS_WINDOW = dt.timedelta(hours=1)


def repeated_denials(count: int) -> bool:
    return count >= DENIALS_PER_HOUR


def denial_bursts(times: Iterable[dt.datetime]) -> dict[dt.datetime, int]:
    """Refusals (their times, one account or one address) that reach the threshold within any
    60 minutes: the clock hour in which the threshold was reached -> the most refusals within
    60 minutes ending in that hour. Anchored on the clock hour of the refusal that reached it,
    so that later refusals never move an anomaly already found."""
    ordered = sorted(times)
    bursts: dict[dt.datetime, int] = {}
    first = 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - DENIALS_WINDOW:
            first += 1
        count = last - first + 1
        if repeated_denials(count):
            hour = moment.replace(minute=0, second=0, microsecond=0)
            bursts[hour] = max(bursts.get(hour, 0), count)
    return bursts
