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


# --- a visit: the booked time and the real times --------------------------------------------


def minutes_outside_booking(
    booked_start: Moment, booked_end: Moment, checked_in: Moment, checked_out: Moment
) -> int:
    """Whole clock minutes of the real stay (`checked_in` to `checked_out`) that fall outside
    the booked time: an early arrival, a late pick-up, or a stay wholly before or after the
    booking. Never the time between the booking and a stay that did not touch it."""
    _check_order(booked_start, booked_end)
    _check_order(checked_in, checked_out)
    if _kind(booked_start) != _kind(checked_in):
        raise RuleError("time_kinds_mixed", "Booked and real times are not the same kind.")
    total = _whole_minutes(checked_in, checked_out)
    overlap_start, overlap_end = max(checked_in, booked_start), min(checked_out, booked_end)
    if overlap_end <= overlap_start:  # type: ignore[operator]
        return total
    return total - _whole_minutes(overlap_start, overlap_end)


def visit_billable_minutes(
    booked_start: Moment,
    booked_end: Moment,
    checked_in: Moment | None,
    checked_out: Moment | None,
    policy: Policy,
) -> int:
    """The billed minutes of one visit: the one figure of the hours page, the caps, the
    family's statement and the claim.

    The booked time always counts (a late arrival or an early pick-up does not shorten the
    visit: the place was held). Once the child has been checked in and out, the minutes of the
    real stay outside the booking are added (an early arrival, a late pick-up); the time
    between the booking and a stay that did not touch it is never counted. The sum is then
    billed at least `billing_minimum_minutes` and rounded up to `billing_step_minutes`.
    Before the check-out (or for a no-show) the visit counts its booked minutes.

    A 10:00-12:00 booking checked in and out at 14:41 bills 120 minutes; picked up at 12:20,
    150; arriving at 09:45 and picked up at 12:00, 150.
    """
    booked = _whole_minutes(booked_start, booked_end)
    if checked_in is None or checked_out is None:
        return round_up_to_billing_grid(booked, policy)
    extra = minutes_outside_booking(booked_start, booked_end, checked_in, checked_out)
    return round_up_to_billing_grid(booked + extra, policy)


#: Why a visit's real times need a reason from staff before they are recorded.
CHECK_IN_AFTER_END = "check_in_after_booked_end"
LONGER_THAN_BOOKED = "longer_than_booked"
OUTSIDE_OPENING_HOURS = "outside_opening_hours"


def visit_time_warnings(
    booked_start: Moment,
    booked_end: Moment,
    checked_in: Moment,
    checked_out: Moment | None,
    policy: Policy,
    opens: Moment | None = None,
    closes: Moment | None = None,
) -> tuple[str, ...]:
    """What is unusual about a visit's real times (empty: nothing), in this order:

    * CHECK_IN_AFTER_END: the check-in is at or after the booked end;
    * LONGER_THAN_BOOKED: the real stay runs outside the booking by more than one
      `billing_step_minutes` step (it would bill more than a step beyond the booking);
    * OUTSIDE_OPENING_HOURS: a real time before `opens` or after `closes` (the facility's
      hours that day, when it has set them).

    `checked_out` is None at check-in. Times are compared in whole clock minutes.
    """
    found = []

    def minute(value: Moment) -> Moment:
        return value.replace(second=0, microsecond=0) if isinstance(value, datetime) else value

    if minute(checked_in) >= minute(booked_end):  # type: ignore[operator]
        found.append(CHECK_IN_AFTER_END)
    if checked_out is not None:
        extra = minutes_outside_booking(booked_start, booked_end, checked_in, checked_out)
        if extra > policy.billing_step_minutes:
            found.append(LONGER_THAN_BOOKED)
    real = [checked_in] + ([checked_out] if checked_out is not None else [])
    early = opens is not None and any(minute(t) < minute(opens) for t in real)  # type: ignore[operator]
    late = closes is not None and any(minute(t) > minute(closes) for t in real)  # type: ignore[operator]
    if early or late:
        found.append(OUTSIDE_OPENING_HOURS)
    return tuple(found)
