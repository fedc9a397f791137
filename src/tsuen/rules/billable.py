"""Billed time of a visit, and the allowed lengths of a booking.

Start and end are both `datetime` (both naive or both aware) or both whole minutes (for
example minutes since midnight).
"""

from datetime import datetime, timedelta

from .errors import RuleError
from .policy import Policy

type Moment = datetime | int

ONE_MINUTE = timedelta(minutes=1)


def _kind(value: object) -> str:
    if isinstance(value, datetime):
        return "aware" if value.utcoffset() is not None else "naive"
    if isinstance(value, int) and not isinstance(value, bool):
        return "minutes"
    raise RuleError("value_invalid", f"A start or end must be a datetime or minutes: {value!r}.")


def _check_order(start: Moment, end: Moment) -> str:
    kind = _kind(start)
    if _kind(end) != kind:
        raise RuleError(
            "time_kinds_mixed", f"Start {start!r} and end {end!r} are not the same kind."
        )
    if end <= start:  # type: ignore[operator]
        raise RuleError("visit_end_not_after_start", f"The end {end} is not after the start.")
    return kind


def _whole_minutes(start: Moment, end: Moment) -> int:
    """Attended minutes, counted on the clock: seconds are dropped from both times first."""
    if _check_order(start, end) == "minutes":
        return end - start  # type: ignore[operator,return-value]
    if not (isinstance(start, datetime) and isinstance(end, datetime)):  # _check_order's job
        raise TypeError("start and end must both be minutes or both be datetimes")
    start = start.replace(second=0, microsecond=0)
    end = end.replace(second=0, microsecond=0)
    return (end - start) // ONE_MINUTE


def round_up_to_billing_grid(minutes: int, policy: Policy) -> int:
    """At least the minimum, then rounded up to whole steps: 61 minutes bill 90."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise RuleError("value_invalid", f"Minutes must be a whole number >= 0: {minutes!r}.")
    step = policy.billing_step_minutes
    stepped = -(-minutes // step) * step
    return max(policy.billing_minimum_minutes, stepped)


def billable_minutes(start: Moment, end: Moment, policy: Policy) -> int:
    """Billed minutes for an actual visit from `start` to `end`.

    The attended time is counted in whole clock minutes (09:00:40 to 10:00:10 is 60 minutes),
    then billed at least `billing_minimum_minutes` and rounded up to `billing_step_minutes`:
    with the defaults 59 and 60 minutes bill 60, 61 and 90 bill 90, 91 bills 120.
    """
    return round_up_to_billing_grid(_whole_minutes(start, end), policy)


def validate_booking_length(start: Moment, end: Moment, policy: Policy) -> int:
    """Return the booked minutes, or raise RuleError if the length is not allowed.

    A booking lasts at least `billing_minimum_minutes` and then whole `billing_step_minutes`
    steps (60, 90, 120 ... by default), measured exactly (a booking with stray seconds is off
    the grid).
    """
    kind = _check_order(start, end)
    if kind == "minutes":
        minutes = end - start  # type: ignore[operator]
    else:
        delta = end - start  # type: ignore[operator]
        if delta % ONE_MINUTE:
            raise RuleError(
                "booking_off_step_grid", f"A booking must last whole minutes, got {delta}."
            )
        minutes = delta // ONE_MINUTE
    minimum, step = policy.billing_minimum_minutes, policy.billing_step_minutes
    if minutes < minimum:
        raise RuleError(
            "booking_too_short", f"A booking lasts at least {minimum} minutes, got {minutes}."
        )
    if (minutes - minimum) % step:
        raise RuleError(
            "booking_off_step_grid",
            f"A booking lasts {minimum} minutes plus whole {step}-minute steps, got {minutes}.",
        )
    return minutes
