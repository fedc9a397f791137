"""Cancellation deadline: whether a family's cancellation still frees the hours."""

from datetime import date, datetime, timedelta, timezone

from .errors import RuleError
from .periods import require_date
from .policy import Policy

# Japan Standard Time. Japan keeps no daylight saving time, so a fixed offset is exact.
JST = timezone(timedelta(hours=9), "JST")


def cancellation_deadline(visit_date: date, policy: Policy) -> datetime:
    """The last moment (Japan local time, naive) to cancel a visit without it counting.

    By default the day before the visit at 17:00.
    """
    require_date(visit_date, "visit_date")
    day = visit_date - timedelta(days=policy.cancel_deadline_days_before)
    return datetime.combine(day, policy.cancel_deadline_time)


def is_late_cancellation(visit_date: date, cancelled_at: datetime, policy: Policy) -> bool:
    """True when `cancelled_at` is after the deadline; a cancellation at the deadline is on time.

    `cancelled_at` is either naive Japan local time or aware (converted to Japan time).
    """
    if not isinstance(cancelled_at, datetime):
        raise RuleError("value_invalid", f"cancelled_at must be a datetime: {cancelled_at!r}.")
    if cancelled_at.utcoffset() is not None:
        cancelled_at = cancelled_at.astimezone(JST).replace(tzinfo=None)
    return cancelled_at > cancellation_deadline(visit_date, policy)


def cancellation_counts(visit_date: date, cancelled_at: datetime, policy: Policy) -> bool:
    """Whether a family's cancellation still counts towards the caps."""
    return policy.late_cancellation_counts and is_late_cancellation(
        visit_date, cancelled_at, policy
    )
