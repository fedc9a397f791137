"""Each anomaly rule fires on crafted audit events, stays quiet below its threshold, and a
second run adds nothing (PostgreSQL and SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from tests import factories as f
from tests.monitoring.support import HOLIDAY, SATURDAY, WEDNESDAY, at, events
from tsuen.accounts.models import Role
from tsuen.core import clock
from tsuen.monitoring import rules
from tsuen.monitoring.detect import detect
from tsuen.monitoring.models import Anomaly, Disposition, Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward():
    return f.municipality()


def staff(ward, role=Role.MUNICIPAL_REVIEWER):
    return f.user(role, municipality=ward)


def found(rule=None):
    qs = Anomaly.unscoped.all()
    return list(qs.filter(rule=rule) if rule else qs)


# --- Rule 1: outside office hours --------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "fires"),
    [
        (at(WEDNESDAY, 6, 59), True),
        (at(WEDNESDAY, 7, 0), False),
        (at(WEDNESDAY, 20, 59), False),
        (at(WEDNESDAY, 21, 0), True),
        (at(SATURDAY, 11), True),
        (at(HOLIDAY, 11), True),
        (at(HOLIDAY - dt.timedelta(days=1), 11), True),  # Sunday
        (at(HOLIDAY + dt.timedelta(days=1), 11), False),  # the Tuesday after
    ],
)
def test_off_hours_fires_outside_office_hours_only(ward, when, fires):
    reviewer = staff(ward)
    events(2, ward=ward, actor=reviewer, when=when)

    detect(when.date())

    anomalies = found(Rule.OFF_HOURS)
    assert bool(anomalies) is fires
    if fires:
        [anomaly] = anomalies
        assert anomaly.actor_id == reviewer.pk and anomaly.actor_role == Role.MUNICIPAL_REVIEWER
        assert anomaly.figures == {"events": 2}
        assert anomaly.subject == f"account:{reviewer.pk}"
        assert anomaly.window_start == at(when.date(), 0)
        assert anomaly.window_end == at(when.date() + dt.timedelta(days=1), 0)
        assert anomaly.municipality == ward and anomaly.disposition == Disposition.OPEN


def test_off_hours_counts_staff_access_to_personal_data_only(ward):
    night = at(WEDNESDAY, 23)
    guardian, _, _ = f.family(ward)
    events(3, ward=ward, actor=guardian, when=night)  # a family reading its own child at night
    events(3, ward=ward, actor=staff(ward), when=night, children=[], action="login")
    events(3, ward=ward, actor=staff(ward), when=night, children=[])  # no person's data
    events(3, ward=ward, actor=None, when=night, action="lockout", children=[])
    events(3, ward=None, actor=f.user(Role.NATIONAL_OPERATOR), when=night)  # national chain

    detect(WEDNESDAY)

    assert found(Rule.OFF_HOURS) == []
    # A guardian's data read by staff counts as well as a child's.
    reviewer = staff(ward)
    events(1, ward=ward, actor=reviewer, when=night, children=[], guardians=[7])
    detect(WEDNESDAY)
    assert [a.actor_id for a in found(Rule.OFF_HOURS)] == [reviewer.pk]


# --- Rule 2: far more children than peers -------------------------------------------------------


def test_volume_fires_for_an_account_far_above_its_peers(ward):
    noon = at(WEDNESDAY, 12)
    heavy, peers = staff(ward), [staff(ward) for _ in range(3)]
    for n, peer in enumerate(peers):
        events(8 + n, ward=ward, actor=peer, when=noon)  # 8, 9, 10 children: median 9
    # 28 distinct children, each read twice, plus three more in one list event: 31 > 3 x 9.
    events(56, ward=ward, actor=heavy, when=noon, children=lambda i: [2000 + i // 2])
    events(1, ward=ward, actor=heavy, when=noon, action="list", children=[3000, 3001, 3002])
    # Another role's accounts are not its peers, another ward's readers neither.
    events(2, ward=ward, actor=staff(ward, Role.MUNICIPAL_PAYMENTS), when=noon)

    detect(WEDNESDAY)

    [anomaly] = found(Rule.VOLUME)
    assert anomaly.actor_id == heavy.pk
    assert anomaly.figures == {"children": 31, "peers": 3, "peer_median": 9.0}


def test_volume_stays_quiet_at_its_thresholds(ward):
    noon = at(WEDNESDAY, 12)
    # Exactly three times the median (30 = 3 x 10): not more than.
    events(30, ward=ward, actor=staff(ward), when=noon)
    events(10, ward=ward, actor=staff(ward), when=noon)
    # Far above its peers but under the floor of 30 children.
    events(29, ward=ward, actor=staff(ward, Role.MUNICIPAL_ADMIN), when=noon)
    events(1, ward=ward, actor=staff(ward, Role.MUNICIPAL_ADMIN), when=noon)
    # The same child read 100 times is one child.
    events(100, ward=ward, actor=staff(ward, Role.MUNICIPAL_PAYMENTS), when=noon, children=[5])

    detect(WEDNESDAY)

    assert found(Rule.VOLUME) == []


def test_volume_with_no_peer_fires_at_the_floor(ward):
    lone = staff(ward, Role.MUNICIPAL_ADMIN)
    events(rules.VOLUME_MIN_CHILDREN, ward=ward, actor=lone, when=at(WEDNESDAY, 10))
    detect(WEDNESDAY)
    [anomaly] = found(Rule.VOLUME)
    assert anomaly.figures == {"children": 30, "peers": 0, "peer_median": 0.0}


# --- Rule 3: sensitive reads with no live relationship -------------------------------------------


def test_sensitive_read_without_a_relationship_fires(ward):
    related, unrelated = f.facility(ward), f.facility(ward)
    guardian, _, child = f.family(ward)
    f.booking(child, f.place_slot(related, WEDNESDAY + dt.timedelta(days=7)), guardian)
    nurse = f.user(Role.FACILITY_STAFF, facility=related)
    stranger = f.user(Role.FACILITY_MANAGER, facility=unrelated)
    noon = at(WEDNESDAY, 12)
    for who in (nurse, stranger):
        events(2, ward=ward, actor=who, when=noon, fields=["allergies"], children=[child.pk])
    # Names only (no S-class field): not this rule's business.
    events(3, ward=ward, actor=stranger, when=noon, fields=["given_name"], children=[9])

    detect(WEDNESDAY)

    [anomaly] = found(Rule.NO_RELATIONSHIP)
    assert anomaly.actor_id == stranger.pk and anomaly.actor_role == Role.FACILITY_MANAGER
    assert anomaly.figures == {"events": 2, "children": 1}


def test_a_recent_booking_or_interview_is_a_relationship(ward):
    facility = f.facility(ward)
    nurse = f.user(Role.FACILITY_STAFF, facility=facility)
    guardian, _, booked = f.family(ward)
    _, _, interviewed = f.family(ward)
    _, _, long_ago = f.family(ward)
    f.booking(booked, f.place_slot(facility, WEDNESDAY - dt.timedelta(days=30)), guardian)
    f.interview(interviewed, facility, guardian)  # asked for now, which is after the day
    f.booking(long_ago, f.place_slot(facility, WEDNESDAY - dt.timedelta(days=31)), guardian)
    noon = at(WEDNESDAY, 12)
    for child in (booked, interviewed, long_ago):
        events(
            1, ward=ward, actor=nurse, when=noon, object_type="attendance.morningnote",
            fields=["health"], children=[child.pk],
        )  # fmt: skip

    detect(WEDNESDAY)

    [anomaly] = found(Rule.NO_RELATIONSHIP)
    assert anomaly.figures == {"events": 1, "children": 1}  # long_ago's visit was 31 days before


def test_ward_staff_reading_sensitive_data_is_not_this_rule(ward):
    events(
        3, ward=ward, actor=staff(ward), when=at(WEDNESDAY, 12), fields=["medical_care"],
        children=[42],
    )  # fmt: skip
    detect(WEDNESDAY)
    assert found(Rule.NO_RELATIONSHIP) == []


# --- Rule 4: bulk exports -------------------------------------------------------------------------


def test_bulk_exports_count_requests_and_rows(ward):
    noon = at(WEDNESDAY, 12)
    many, big, quiet = staff(ward), staff(ward, Role.AUDITOR), staff(ward)
    for _ in range(rules.BULK_EXPORTS_PER_DAY + 1):
        events(1, ward=ward, actor=many, when=noon, action="download")
    # One export of 501 rows (one request) by the auditor.
    events(501, ward=ward, actor=big, when=noon, action="export", one_request=True)
    # Ten exports of 50 rows each: at both thresholds, not over.
    for _ in range(rules.BULK_EXPORTS_PER_DAY):
        events(50, ward=ward, actor=quiet, when=noon, action="export", one_request=True)

    detect(WEDNESDAY)

    by_actor = {a.actor_id: a.figures for a in found(Rule.BULK_EXPORT)}
    assert by_actor == {many.pk: {"exports": 11, "rows": 11}, big.pk: {"exports": 1, "rows": 501}}


# --- Rule 5: repeated denials and lockouts --------------------------------------------------------


def denied(count, ward, actor, when, address):
    return events(
        count, ward=ward, actor=actor, when=when, action="denied", children=[], address=address
    )


def test_repeated_denials_per_account_and_per_address_within_an_hour(ward):
    reviewer, other, third = staff(ward), staff(ward), staff(ward)
    n = rules.DENIALS_PER_HOUR
    denied(n, ward, reviewer, at(WEDNESDAY, 9, 50), "192.0.2.1")
    # The same number across a clock hour, from two addresses: the account's burst is reached
    # at 11:00 (within 60 minutes), neither address reaches it.
    denied(n - 1, ward, other, at(WEDNESDAY, 10, 58), "192.0.2.2")
    denied(1, ward, other, at(WEDNESDAY, 11, 0), "192.0.2.3")
    # Spread out: n - 1 refusals, then one more an hour later.
    denied(n - 1, ward, third, at(WEDNESDAY, 15, 0), "192.0.2.4")
    denied(
        1,
        ward,
        third,
        at(
            WEDNESDAY,
            16,
            0,
        ),
        "192.0.2.4",
    )
    # Anonymous refusals (no account) count for their address.
    denied(n, ward, None, at(WEDNESDAY, 18, 30), "198.51.100.9")

    detect(WEDNESDAY)

    anomalies = {(a.subject, a.window_start): a.figures for a in found(Rule.DENIALS)}
    assert anomalies == {
        (f"account:{reviewer.pk}", at(WEDNESDAY, 9)): {"denials": n},
        ("address:192.0.2.1", at(WEDNESDAY, 9)): {"denials": n},
        (f"account:{other.pk}", at(WEDNESDAY, 11)): {"denials": n},
        ("address:198.51.100.9", at(WEDNESDAY, 18)): {"denials": n},
    }


def test_a_burst_across_midnight_belongs_to_the_day_it_was_reached(ward):
    reviewer = staff(ward)
    n = rules.DENIALS_PER_HOUR
    denied(n - 1, ward, reviewer, at(WEDNESDAY - dt.timedelta(days=1), 23, 58), "")
    denied(1, ward, reviewer, at(WEDNESDAY, 0, 1), "")

    detect(WEDNESDAY - dt.timedelta(days=1))
    assert found(Rule.DENIALS) == []
    detect(WEDNESDAY)
    [anomaly] = found(Rule.DENIALS)
    assert anomaly.window_start == at(WEDNESDAY, 0) and anomaly.figures == {"denials": n}


def test_every_lockout_is_an_anomaly(ward):
    locked = staff(ward)
    events(1, ward=ward, actor=None, when=at(WEDNESDAY, 14, 5), action="lockout",
           object_type="accounts.user", object_id=str(locked.pk), children=[])  # fmt: skip

    detect(WEDNESDAY)

    [anomaly] = found(Rule.LOCKOUT)
    assert anomaly.actor_id == locked.pk and anomaly.actor_role == Role.MUNICIPAL_REVIEWER
    assert anomaly.window_start == at(WEDNESDAY, 14) and anomaly.figures == {"lockouts": 1}


# --- Twice, and the command ----------------------------------------------------------------------


def everything(ward):
    """One event pattern for every rule, on a Saturday: 8 anomalies (the reviewer and the nurse
    outside office hours, the denials by account and by address, one each of the others)."""
    reviewer = staff(ward)
    events(40, ward=ward, actor=reviewer, when=at(SATURDAY, 10))
    events(12, ward=ward, actor=reviewer, when=at(SATURDAY, 11), action="export")
    events(5, ward=ward, actor=reviewer, when=at(SATURDAY, 12), action="denied", children=[])
    events(1, ward=ward, actor=None, when=at(SATURDAY, 13), action="lockout",
           object_type="accounts.user", object_id=str(reviewer.pk), children=[])  # fmt: skip
    nurse = f.user(Role.FACILITY_STAFF, facility=f.facility(ward))
    events(1, ward=ward, actor=nurse, when=at(SATURDAY, 14), fields=["allergies"])


def test_running_twice_adds_nothing(ward):
    everything(ward)
    first = detect(SATURDAY)
    before = {a.pk: (a.figures, a.updated_at) for a in found()}

    second = detect(SATURDAY)

    assert first.total_new == len(before) and {a.rule for a in found()} == set(Rule.values)
    assert second.total_new == 0 and second.updated == 0 and second.unchanged == len(before)
    assert {a.pk: (a.figures, a.updated_at) for a in found()} == before


def test_a_later_run_brings_the_figures_up_to_date_and_keeps_the_disposition(ward):
    reviewer = staff(ward)
    events(2, ward=ward, actor=reviewer, when=at(SATURDAY, 9))
    with clock.frozen(at(SATURDAY, 10)):
        detect(SATURDAY)
    [anomaly] = found()
    Anomaly.unscoped.filter(pk=anomaly.pk).update(
        disposition=Disposition.EXPLAINED, disposed_at=at(SATURDAY, 11), note="当番",
        disposed_figures=anomaly.figures,
    )  # fmt: skip
    events(3, ward=ward, actor=reviewer, when=at(SATURDAY, 15))

    with clock.frozen(at(SATURDAY, 16)):
        result = detect(SATURDAY)

    [anomaly] = found()
    assert result.total_new == 0 and result.updated == 1
    assert anomaly.figures == {"events": 5} and anomaly.disposed_figures == {"events": 2}
    assert anomaly.disposition == Disposition.EXPLAINED and anomaly.updated_at == at(SATURDAY, 16)


def test_the_command_runs_a_day_and_by_default_yesterday_and_today(ward, capsys):
    everything(ward)
    call_command("detect_anomalies", "--day", SATURDAY.isoformat())
    out = capsys.readouterr().out
    assert out.startswith("2026-11-21: 8 new anomalies") and "lockout: 1" in out
    call_command("detect_anomalies", "--day", SATURDAY.isoformat())
    assert "0 new anomalies" in capsys.readouterr().out

    with clock.frozen(at(SATURDAY + dt.timedelta(days=1), 8)):
        call_command("detect_anomalies")
    out = capsys.readouterr().out.splitlines()
    assert [line[:10] for line in out] == ["2026-11-21", "2026-11-22"]
    assert "8 already known" in out[0]


def test_the_command_refuses_a_bad_day():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("detect_anomalies", "--day", "21/11/2026")


def test_the_task_runs_the_rules(ward):
    from tsuen.monitoring.tasks import detect_anomalies_task

    everything(ward)
    assert detect_anomalies_task.call(day=SATURDAY.isoformat()) == 8
    assert detect_anomalies_task.call(day=SATURDAY.isoformat()) == 0
