"""The anomaly rules' decisions, exhaustively at their edges (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from tsuen.monitoring import rules

WEDNESDAY = dt.date(2026, 11, 18)
SATURDAY, SUNDAY = dt.date(2026, 11, 21), dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("day", "holiday", "office"),
    [
        (WEDNESDAY, False, True),
        (WEDNESDAY - dt.timedelta(days=2), False, True),  # Monday
        (WEDNESDAY + dt.timedelta(days=2), False, True),  # Friday
        (SATURDAY, False, False),
        (SUNDAY, False, False),
        (WEDNESDAY, True, False),  # a national holiday on a weekday
        (SATURDAY, True, False),
    ],
)
def test_office_days(day, holiday, office):
    assert rules.is_office_day(day, holiday=holiday) is office


@pytest.mark.parametrize(
    ("time", "outside"),
    [
        (dt.time(0, 0), True),
        (dt.time(6, 59, 59), True),
        (dt.time(7, 0), False),  # opening is inside
        (dt.time(12, 0), False),
        (dt.time(20, 59, 59), False),
        (dt.time(21, 0), True),  # from 21:00 is outside
        (dt.time(23, 59), True),
    ],
)
def test_office_hours_on_a_weekday(time, outside):
    assert (
        rules.outside_office_hours(dt.datetime.combine(WEDNESDAY, time), holiday=False) is outside
    )


@pytest.mark.parametrize("time", [dt.time(0), dt.time(7), dt.time(12), dt.time(21)])
def test_every_hour_of_a_weekend_or_holiday_is_outside(time):
    assert rules.outside_office_hours(dt.datetime.combine(SATURDAY, time), holiday=False)
    assert rules.outside_office_hours(dt.datetime.combine(WEDNESDAY, time), holiday=True)


@pytest.mark.parametrize(
    ("peers", "median"),
    [([], 0.0), ([4], 4.0), ([1, 9], 5.0), ([3, 1, 2], 2.0), ([10, 10, 10, 40], 10.0)],
)
def test_peer_median(peers, median):
    assert rules.peer_median(peers) == median


@pytest.mark.parametrize(
    ("count", "peers", "anomalous"),
    [
        (29, [], False),  # below the floor, however alone
        (30, [], True),  # the floor alone decides with no peer
        (30, [10], False),  # 3 x 10 = 30: not more than
        (31, [10], True),
        (31, [10, 11], False),  # median 10.5: 31 is not more than 31.5
        (32, [10, 11], True),
        (100, [40], False),
        (121, [40], True),
        (29, [1, 1, 1], False),  # far above peers but under the floor
        (45, [5, 20, 15], False),  # median 15: 45 is not more than 45
        (46, [5, 20, 15], True),
    ],
)
def test_reads_far_more(count, peers, anomalous):
    assert rules.reads_far_more(count, peers) is anomalous


def test_volume_outliers_compare_each_account_with_the_others_only():
    # The outlier's own count is not part of its peers' median.
    found = rules.volume_outliers({1: 12, 2: 10, 3: 11, 4: 90})
    assert found == {4: 11.0}
    # Two heavy readers among light ones: each is compared with the other three.
    assert rules.volume_outliers({1: 5, 2: 5, 3: 60, 4: 60}) == {3: 5.0, 4: 5.0}
    # Half the peers read as much: the median follows them.
    assert rules.volume_outliers({1: 5, 2: 60, 3: 60, 4: 60}) == {}
    assert rules.volume_outliers({1: 40, 2: 40, 3: 60}) == {}
    assert rules.volume_outliers({7: 30}) == {7: 0.0}
    assert rules.volume_outliers({}) == {}


SENSITIVE = {"families.child": frozenset({"allergies", "illnesses"})}


@pytest.mark.parametrize(
    ("object_type", "fields", "found"),
    [
        ("families.child", ["given_name", "allergies"], {"allergies"}),
        ("families.child", ["given_name", "birth_date"], set()),
        ("families.child", [], set()),
        ("booking.booking", ["allergies"], set()),  # the name matters only on its own model
        ("families.child", ["allergies", "illnesses"], {"allergies", "illnesses"}),
    ],
)
def test_sensitive_fields_read(object_type, fields, found):
    assert rules.sensitive_fields_read(object_type, fields, SENSITIVE) == found


def test_unrelated_children():
    assert rules.unrelated_children([1, 2, 3], [2]) == {1, 3}
    assert rules.unrelated_children([1], [1, 5]) == frozenset()
    assert rules.unrelated_children([], []) == frozenset()


@pytest.mark.parametrize(
    ("exports", "rows", "bulk"),
    [
        (10, 500, False),
        (11, 11, True),
        (1, 501, True),
        (0, 0, False),
    ],
)
def test_bulk_export(exports, rows, bulk):
    assert rules.is_bulk_export(exports, rows) is bulk


@pytest.mark.parametrize(("count", "repeated"), [(0, False), (4, False), (5, True), (50, True)])
def test_repeated_denials(count, repeated):
    assert rules.repeated_denials(count) is repeated


def _times(*minutes):
    start = dt.datetime(2026, 11, 18, 10, 0)
    return [start + dt.timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(
    ("minutes", "bursts"),
    [
        ([], {}),
        ([0, 1, 2, 3], {}),  # four: under the threshold
        ([0, 1, 2, 3, 4], {10: 5}),
        ([0, 10, 20, 30, 59], {10: 5}),  # 59 minutes apart: within 60
        ([0, 10, 20, 30, 60], {}),  # exactly 60 minutes apart: the first has left the window
        ([55, 56, 57, 58, 61], {11: 5}),  # across a clock hour: anchored where it was reached
        ([55, 56, 57, 58, 61, 62, 63], {11: 7}),
        ([0, 1, 2, 3, 4, 70, 71, 72, 73, 74], {10: 5, 11: 5}),
        ([0, 1, 2, 3, 4, 5, 6], {10: 7}),
        ([4, 3, 2, 1, 0], {10: 5}),  # the order given does not matter
    ],
)
def test_denial_bursts(minutes, bursts):
    found = rules.denial_bursts(_times(*minutes))
    assert {hour.hour: count for hour, count in found.items()} == bursts
    assert all(hour.minute == 0 for hour in found)
