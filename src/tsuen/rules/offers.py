"""How long a waitlist offer holds a freed place: never until a moment in the night."""

from datetime import datetime, time, timedelta

from .cancellation import JST
from .errors import RuleError

#: A hold may end from 08:00 to 20:00 (Japan time) inclusive; any other end is in the night.
DAY_STARTS = time(8)
DAY_ENDS = time(20)
#: A hold that would end in the night ends at this hour of the following morning instead.
MORNING_END = time(10)


def _night(at: time) -> bool:
    return at < DAY_STARTS or at > DAY_ENDS


def offer_hold_ends(offered_at: datetime, hold_hours: int, slot_starts: datetime) -> datetime:
    """When an offer made at `offered_at` stops holding the place.

    The hold lasts `hold_hours` hours. If it would end in the night (after 20:00 or before
    08:00 Japan time), it ends at 10:00 the next morning instead, so a family is never asked to
    answer while asleep. It never lasts past the slot's start (`slot_starts`). Both datetimes
    are aware, or both naive Japan time; the answer is in Japan time (naive if they were).
    """
    for name, value in (("offered_at", offered_at), ("slot_starts", slot_starts)):
        if not isinstance(value, datetime):
            raise RuleError("value_invalid", f"{name} must be a datetime: {value!r}.")
    if (offered_at.utcoffset() is None) != (slot_starts.utcoffset() is None):
        raise RuleError("value_invalid", "offered_at and slot_starts must both be aware or naive.")
    if isinstance(hold_hours, bool) or not isinstance(hold_hours, int) or hold_hours < 1:
        raise RuleError("value_invalid", f"hold_hours must be a positive integer: {hold_hours!r}.")
    aware = offered_at.utcoffset() is not None
    if aware:
        offered_at, slot_starts = offered_at.astimezone(JST), slot_starts.astimezone(JST)
    ends = offered_at + timedelta(hours=hold_hours)
    if _night(ends.time()):
        day = ends.date() if ends.time() < DAY_STARTS else ends.date() + timedelta(days=1)
        ends = datetime.combine(day, MORNING_END, tzinfo=ends.tzinfo)
    return min(ends, slot_starts)
