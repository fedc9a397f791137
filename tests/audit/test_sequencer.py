"""The sequencer: appended events are sealed into their chains in order, once, and verification
counts what is still waiting."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.audit.helpers import chain_of, raw_row, tamper
from tsuen.audit import Action, record, record_many, verify_all, verify_chain
from tsuen.audit.chain import GENESIS_HASH
from tsuen.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from tsuen.audit.sequencer import seal, seal_batch
from tsuen.audit.tasks import seal_audit_chain_task
from tsuen.audit.verify import Problem
from tsuen.core import clock

pytestmark = pytest.mark.django_db


def test_sealing_numbers_each_chain_in_append_order_and_moves_its_head():
    a, b = f.municipality(), f.municipality()
    for muni in (a, b, a, None, a, b):
        record(Action.READ, muni) if muni else record(Action.LOGIN_FAILED)
    assert not AuditChainHead.objects.exists()  # appending touched no head
    assert seal() == 6
    for muni, length in ((a, 3), (b, 2), (None, 1)):
        chain = list(AuditEvent.objects.in_municipality(muni).order_by("id"))
        assert [e.seq for e in chain] == list(range(1, length + 1))  # id order is seq order
        assert [e.prev_hash for e in chain] == [GENESIS_HASH] + [e.hash for e in chain[:-1]]
        assert all(e.hash == e.compute_hash() for e in chain)
        head = AuditChainHead.objects.get(municipality_id=getattr(muni, "pk", None))
        assert {e.chain_id for e in chain} == {head.pk}
        assert (head.seq, head.head_hash) == (length, chain[-1].hash)


def test_sealing_in_small_batches_continues_the_chain():
    muni = f.municipality()
    chain_of(muni, 3)
    for _ in range(7):
        record(Action.READ, muni)
    assert seal_batch(muni.pk, batch_size=3) == 3
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 4
    assert seal(batch_size=3) == 4
    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == list(
        range(1, 11)
    )
    assert verify_chain(muni.pk).events_checked == 10


def test_sealing_twice_changes_nothing():
    a, b = f.municipality(), f.municipality()
    chain_of(a, 4)
    chain_of(b, 2)
    rows = {e.pk: raw_row(e.pk) for e in AuditEvent.objects.all()}
    heads = list(AuditChainHead.objects.order_by("pk").values())
    assert seal() == 0
    assert {pk: raw_row(pk) for pk in rows} == rows
    assert list(AuditChainHead.objects.order_by("pk").values()) == heads


def test_a_sealed_event_is_still_refused_every_change_by_the_model():
    [event] = chain_of(f.municipality(), 1)
    event.seq = 2
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(seq=None)


def test_tampering_with_a_sealed_event_is_detected_while_later_ones_wait_unsealed():
    muni = f.municipality()
    chain = chain_of(muni, 3)
    record(Action.READ, muni)  # not yet sealed
    tamper("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["999", chain[1].pk])
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_event_id, result.unsealed) == (
        Problem.HASH_MISMATCH,
        chain[1].pk,
        1,
    )
    seal()  # sealing more does not hide it
    assert verify_chain(muni.pk).broken_event_id == chain[1].pk


# --- verification of the sealing window -----------------------------------------------------


def test_verification_counts_unsealed_events_and_flags_one_left_too_long():
    muni = f.municipality()
    chain_of(muni, 2)
    start = clock.now()
    with clock.frozen(start):
        record(Action.READ, muni)
        record(Action.UPDATE, muni)
    with clock.frozen(start + dt.timedelta(seconds=30)):
        result = verify_chain(muni.pk)
    assert result.ok and result.events_checked == 2
    assert (result.unsealed, result.oldest_unsealed_age) == (2, dt.timedelta(seconds=30))
    assert "2 unsealed, oldest 30 s" in str(result)

    oldest = AuditEvent.objects.filter(seq__isnull=True).order_by("id").first()
    with clock.frozen(start + dt.timedelta(minutes=6)):
        late = verify_chain(muni.pk)
    assert not late.ok
    assert (late.problem, late.broken_event_id) == (Problem.UNSEALED_TOO_LONG, oldest.pk)
    assert "is the sequencer running?" in str(late)

    seal()
    with clock.frozen(start + dt.timedelta(minutes=6)):
        after = verify_chain(muni.pk)
    assert after.ok and (after.events_checked, after.unsealed) == (4, 0)


def test_a_chain_with_only_unsealed_events_is_verified_too():
    muni = f.municipality()
    record(Action.READ, muni)
    [result] = [r for r in verify_all() if r.municipality_id == muni.pk]
    assert result.ok and (result.events_checked, result.unsealed) == (0, 1)


# --- running it --------------------------------------------------------------------------------


def run(command: str, *args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(command, *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_command_seals_once_and_verification_reports_the_window():
    muni = f.municipality()
    kids = [f.family(muni)[2] for _ in range(3)]
    record_many(Action.LIST, kids)
    status, output = run("verify_audit_chain")
    assert status == 0 and "3 unsealed" in output
    assert run("seal_audit_chain", "--batch-size", "2") == (0, "sealed 3 audit events\n")
    status, output = run("verify_audit_chain")
    assert f"OK      {muni.code}: 3 events" in output and "none unsealed" in output
    with clock.frozen(clock.now() - dt.timedelta(minutes=10)):
        record(Action.READ, muni)  # appended ten minutes ago and never sealed
    status, output = run("verify_audit_chain")
    assert status == 1
    assert f"BROKEN  {muni.code}: " in output and "unsealed too long" in output


def test_the_command_refuses_a_bad_batch_size_or_loop():
    assert run("seal_audit_chain", "--batch-size", "0")[0] == 1
    assert run("seal_audit_chain", "--loop", "0")[0] == 1


def test_the_task_seals_the_same_way(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    muni = f.municipality()
    record(Action.READ, muni)
    record(Action.READ, muni)
    assert seal_audit_chain_task.enqueue().return_value == 2
    assert verify_chain(muni.pk).events_checked == 2
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
