"""The hash chains: how events link, and how verification names the first broken event."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.audit.helpers import chain_of, sealed, tamper
from tsuen.audit import Action, record, verify_all, verify_chain
from tsuen.audit.chain import GENESIS_HASH
from tsuen.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from tsuen.audit.verify import Problem

pytestmark = pytest.mark.django_db


# --- linking -------------------------------------------------------------------------------------


def test_each_municipality_has_its_own_chain_and_so_does_the_national_level():
    a, b = f.municipality(), f.municipality()
    with sealed():
        for muni in (a, b, a, a, b):
            record(Action.READ, muni)
        record(Action.LOGIN_FAILED)
    for muni, length in ((a, 3), (b, 2), (None, 1)):
        chain = list(AuditEvent.objects.in_municipality(muni).order_by("seq"))
        assert [e.seq for e in chain] == list(range(1, length + 1))
        assert [e.prev_hash for e in chain] == [GENESIS_HASH] + [e.hash for e in chain[:-1]]
        assert all(e.hash == e.compute_hash() for e in chain)
        assert len({e.chain_id for e in chain}) == 1
    heads = {head.municipality_id: (head.seq, head.key) for head in AuditChainHead.objects.all()}
    assert heads == {
        a.pk: (3, f"municipality:{a.pk}"),
        b.pk: (2, f"municipality:{b.pk}"),
        None: (1, "national"),
    }


def test_the_hash_covers_every_recorded_column():
    [event] = chain_of(f.municipality(), 1)
    for column in ("actor_role", "object_id", "request_id", "field_names", "subject_child_ids"):
        original = getattr(event, column)
        setattr(event, column, ["x"] if isinstance(original, list) else "x")
        assert event.compute_hash() != event.hash, column
        setattr(event, column, original)


# --- append-only in the application ---------------------------------------------------------------


def test_events_cannot_be_saved_or_deleted_through_the_model():
    [event] = chain_of(f.municipality(), 1)
    event.object_id = "999"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(object_id="999")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.create(**{"action": Action.READ})
    assert AuditEvent.objects.get().object_id != "999"


# --- verification --------------------------------------------------------------------------------


def test_intact_chains_verify():
    a, b = f.municipality(), f.municipality()
    chain_of(a, 5)
    chain_of(b, 2)
    results = {r.municipality_id: r for r in verify_all(chunk_size=2)}  # several chunks
    assert results[a.pk].ok and results[a.pk].events_checked == 5
    assert results[b.pk].ok and results[b.pk].chain == b.code
    assert verify_chain(f.municipality().pk).ok  # a chain never written is trivially intact


def test_an_edited_event_is_named_as_the_first_broken_one():
    muni, other = f.municipality(), f.municipality()
    chain = chain_of(muni, 5)
    chain_of(other, 3)
    tamper("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["999", chain[2].pk])

    result = verify_chain(muni.pk, chunk_size=2)
    assert not result.ok
    assert (result.broken_event_id, result.broken_seq) == (chain[2].pk, 3)
    assert result.problem == Problem.HASH_MISMATCH
    assert result.events_checked == 2
    assert verify_chain(other.pk).ok  # other chains are unaffected


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link():
    muni = f.municipality()
    chain = chain_of(muni, 5)
    forged = chain[2]
    forged.actor_id = 4242
    tamper(
        "UPDATE audit_auditevent SET actor_id = %s, hash = %s WHERE id = %s",
        [4242, forged.compute_hash(), forged.pk],
    )
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_event_id, result.broken_seq) == (
        Problem.PREV_HASH_MISMATCH,
        chain[3].pk,
        4,
    )


def test_a_deleted_event_shows_as_a_gap_before_the_next_one():
    muni = f.municipality()
    chain = chain_of(muni, 5)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk])
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_event_id, result.broken_seq) == (
        Problem.SEQUENCE_GAP,
        chain[2].pk,
        3,
    )
    assert "expected seq 2, found 3" in str(result)


def test_deleting_the_first_event_is_found():
    muni = f.municipality()
    chain = chain_of(muni, 3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[0].pk])
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_seq) == (Problem.SEQUENCE_GAP, 2)


def test_events_cut_off_the_end_are_found_against_the_chain_head():
    muni = f.municipality()
    chain = chain_of(muni, 4)
    tamper("DELETE FROM audit_auditevent WHERE seq >= 3 AND chain_id = %s", [chain[0].chain_id])
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_event_id, result.broken_seq) == (
        Problem.HEAD_MISMATCH,
        None,
        3,
    )


def test_a_rewritten_last_event_is_found_against_the_chain_head():
    muni = f.municipality()
    chain = chain_of(muni, 3)
    last = chain[-1]
    last.object_id = "999"
    tamper(
        "UPDATE audit_auditevent SET object_id = %s, hash = %s WHERE id = %s",
        ["999", last.compute_hash(), last.pk],
    )
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_event_id) == (Problem.HEAD_MISMATCH, last.pk)


def test_the_latest_events_can_be_checked_alone_linked_to_the_event_before_them():
    """What the log's page checks within a request: the last events and the head."""
    muni = f.municipality()
    chain = chain_of(muni, 6)
    latest = verify_chain(muni.pk, latest=3, chunk_size=2)
    assert latest.ok and not latest.whole
    assert (latest.first_seq, latest.events_checked, latest.head_seq) == (4, 3, 6)
    whole = verify_chain(muni.pk, latest=10)
    assert whole.ok and whole.whole and (whole.first_seq, whole.events_checked) == (1, 6)

    tamper("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["999", chain[4].pk])
    result = verify_chain(muni.pk, latest=3)
    assert (result.problem, result.broken_event_id, result.broken_seq) == (
        Problem.HASH_MISMATCH,
        chain[4].pk,
        5,
    )
    assert result.events_checked == 1


def test_an_edit_before_the_latest_events_is_left_to_the_whole_chains_check():
    muni = f.municipality()
    chain = chain_of(muni, 6)
    tamper("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["999", chain[1].pk])
    assert verify_chain(muni.pk, latest=3).ok  # the daily verify_audit_chain reads it all
    assert verify_chain(muni.pk).problem == Problem.HASH_MISMATCH


def test_the_latest_events_find_the_event_before_them_deleted_and_the_end_cut_off():
    muni = f.municipality()
    chain = chain_of(muni, 6)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [chain[2].pk])
    result = verify_chain(muni.pk, latest=3)
    assert (result.problem, result.broken_event_id, result.broken_seq) == (
        Problem.SEQUENCE_GAP,
        None,
        3,
    )
    other = f.municipality()
    chain = chain_of(other, 6)
    tamper("DELETE FROM audit_auditevent WHERE seq >= 6 AND chain_id = %s", [chain[0].chain_id])
    result = verify_chain(other.pk, latest=3)
    assert (result.problem, result.broken_seq) == (Problem.HEAD_MISMATCH, 6)


# --- the command ---------------------------------------------------------------------------------


def run_verify(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_command_prints_ok_for_every_chain_and_exits_zero():
    a, b = f.municipality(), f.municipality()
    chain_of(a, 2)
    chain_of(b, 1)
    with sealed():
        record(Action.LOGIN_FAILED)
    status, output = run_verify()
    assert status == 0
    lines = output.splitlines()
    assert lines[0].startswith("OK      national: 1 events")
    assert {line.split()[1] for line in lines} == {"national:", f"{a.code}:", f"{b.code}:"}


def test_command_names_the_first_broken_event_and_exits_one():
    a, b = f.municipality(), f.municipality()
    chain = chain_of(a, 4)
    chain_of(b, 1)
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["delete", chain[1].pk])
    status, output = run_verify("--all")
    assert status == 1
    assert f"BROKEN  {a.code}: first broken event id={chain[1].pk} seq=2: hash mismatch" in output
    assert f"OK      {b.code}" in output
    assert f"audit chain broken: {a.code}" in output

    assert run_verify("--municipality", b.code)[0] == 0
    assert run_verify("--municipality", a.code)[0] == 1
    assert run_verify("--national")[0] == 0


def test_command_refuses_an_unknown_municipality_code():
    status, output = run_verify("--municipality", "00000")
    assert status == 2
    assert "no municipality with code 00000" in output
