"""A waitlist offer's hold never ends in the night (rules.offer_hold_ends)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from tsuen.rules import JST, RuleError, offer_hold_ends

FAR = datetime(2027, 1, 31, 9)  # a slot start far away: it never cuts the hold short


@pytest.mark.parametrize(
    ("offered_at", "ends"),
    [
        (datetime(2026, 12, 3, 8), datetime(2026, 12, 3, 20)),  # ends at 20:00: still day
        (datetime(2026, 12, 3, 8, 1), datetime(2026, 12, 4, 10)),  # 20:01: next morning
        (datetime(2026, 12, 3, 10), datetime(2026, 12, 4, 10)),  # 22:00
        (datetime(2026, 12, 3, 11, 59), datetime(2026, 12, 4, 10)),  # 23:59
        (datetime(2026, 12, 3, 12), datetime(2026, 12, 4, 10)),  # 00:00: the same morning
        (datetime(2026, 12, 3, 19, 59), datetime(2026, 12, 4, 10)),  # 07:59
        (datetime(2026, 12, 3, 20), datetime(2026, 12, 4, 8)),  # ends at 08:00: day
        (datetime(2026, 12, 3, 23), datetime(2026, 12, 4, 11)),
        (datetime(2026, 12, 31, 14), datetime(2027, 1, 1, 10)),  # across the year's end
    ],
)
def test_examples_with_a_twelve_hour_hold(offered_at, ends):
    assert offer_hold_ends(offered_at, 12, FAR) == ends


def test_every_minute_of_a_day_for_every_hold_length():
    """Exhaustive: every offer minute of a day, every hold from 1 to 48 hours."""
    day = datetime(2026, 12, 3)
    for hours in range(1, 49):
        for minute in range(24 * 60):
            offered = day + timedelta(minutes=minute)
            plain = offered + timedelta(hours=hours)
            ends = offer_hold_ends(offered, hours, FAR)
            assert ends >= plain  # the family never gets less time
            if time(8) <= plain.time() <= time(20):
                assert ends == plain
            else:  # a night end moves to 10:00, the first morning after it
                assert ends.time() == time(10)
                assert timedelta(0) < ends - plain <= timedelta(hours=14)


def test_never_past_the_slots_start():
    offered = datetime(2026, 12, 3, 19)
    assert offer_hold_ends(offered, 12, datetime(2026, 12, 4, 9)) == datetime(2026, 12, 4, 9)
    assert offer_hold_ends(offered, 2, datetime(2026, 12, 4, 9)) == datetime(2026, 12, 4, 9)
    assert offer_hold_ends(offered, 1, datetime(2026, 12, 4, 9)) == datetime(2026, 12, 3, 20)
    # a daytime end before the start is kept
    assert offer_hold_ends(datetime(2026, 12, 3, 8), 2, datetime(2026, 12, 3, 13)) == datetime(
        2026, 12, 3, 10
    )


def test_aware_datetimes_are_read_in_japan_time():
    offered = datetime(2026, 12, 3, 1, tzinfo=UTC)  # 10:00 in Japan: the hold would end 22:00
    ends = offer_hold_ends(offered, 12, FAR.replace(tzinfo=JST))
    assert ends == datetime(2026, 12, 4, 10, tzinfo=JST)
    assert ends.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    ("offered_at", "hours", "starts"),
    [
        ("2026-12-03 10:00", 12, FAR),
        (datetime(2026, 12, 3, 10), 12, "tomorrow"),
        (datetime(2026, 12, 3, 10), 0, FAR),
        (datetime(2026, 12, 3, 10), -3, FAR),
        (datetime(2026, 12, 3, 10), True, FAR),
        (datetime(2026, 12, 3, 10), "12", FAR),
        (datetime(2026, 12, 3, 10, tzinfo=JST), 12, FAR),  # aware beside naive
    ],
)
def test_bad_input_is_refused(offered_at, hours, starts):
    with pytest.raises(RuleError) as err:
        offer_hold_ends(offered_at, hours, starts)
    assert err.value.code == "value_invalid"
