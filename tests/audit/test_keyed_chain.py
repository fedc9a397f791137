"""The keyed chain (council item 12): events are sealed with an HMAC under the audit key, kept
outside the database. Someone who can rewrite the table but lacks the key cannot make a chain
rewritten from a point verify again; rotating the key keeps the old events verifiable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests import factories as f
from tests.audit.helpers import chain_of, tamper
from tsuen.audit import Action, record
from tsuen.audit.chain import canonical, event_hash
from tsuen.audit.models import AuditChainHead, AuditEvent
from tsuen.audit.sequencer import seal
from tsuen.audit.verify import Problem, verify_chain

pytestmark = pytest.mark.django_db


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _rewrite_from(chain: list[AuditEvent], index: int, sign) -> None:
    """Edit the event at ``index`` and rewrite every later link and the head, signing each event
    with ``sign(event) -> (key_version, hash)``: what someone with write access to the table
    does to hide an edit."""
    prev = chain[index - 1].hash
    for event in chain[index:]:
        if event is chain[index]:
            event.object_id = "999"
        event.prev_hash = prev
        event.key_version, event.hash = sign(event)
        tamper(
            "UPDATE audit_auditevent SET object_id = %s, prev_hash = %s, hash = %s, "
            "key_version = %s WHERE id = %s",
            [event.object_id, event.prev_hash, event.hash, event.key_version, event.pk],
        )
        prev = event.hash
    AuditChainHead.objects.filter(pk=chain[0].chain_id).update(head_hash=prev)


def _fields(event: AuditEvent, key_version) -> dict:
    from tsuen.audit.chain import HASHED_FIELDS

    return {n: getattr(event, n) for n in HASHED_FIELDS} | {"key_version": key_version}


def test_every_event_is_sealed_with_the_current_keys_hmac(settings):
    settings.AUDIT_KEYS = f"1:{_key()},2:{(second := _key())}"
    chain = chain_of(f.municipality(), 3)
    for event in chain:
        assert event.key_version == 2
        expected = hmac.new(
            base64.b64decode(second), canonical(_fields(event, 2)), hashlib.sha256
        ).hexdigest()
        assert event.hash == expected
        # Not the plain SHA-256 of format 1: that one needs no key.
        assert event.hash != hashlib.sha256(canonical(_fields(event, None))).hexdigest()


def test_a_rewrite_from_a_point_without_the_key_is_found_where_it_starts(settings):
    muni = f.municipality()
    chain = chain_of(muni, 5)
    wrong = base64.b64encode(os.urandom(32))

    def guessed(event):  # the same format, any key but the right one
        data = canonical(_fields(event, event.key_version))
        return event.key_version, hmac.new(wrong, data, hashlib.sha256).hexdigest()

    _rewrite_from(chain, 2, guessed)
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_event_id, result.broken_seq) == (
        Problem.HASH_MISMATCH,
        chain[2].pk,
        3,
    )


def test_a_rewrite_from_a_point_as_unkeyed_events_is_found(settings):
    """Going back to the keyless format 1 after keyed events is itself the break."""
    muni = f.municipality()
    chain = chain_of(muni, 5)

    def unkeyed(event):
        return None, hashlib.sha256(canonical(_fields(event, None))).hexdigest()

    _rewrite_from(chain, 3, unkeyed)
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_seq) == (Problem.UNKEYED_AFTER_KEYED, 4)


def test_the_same_rewrite_with_the_key_would_verify(settings):
    """The control of the two tests above: their rewrites fail for want of the key alone."""
    muni = f.municipality()
    chain = chain_of(muni, 5)
    _rewrite_from(chain, 2, lambda e: (e.key_version, event_hash(_fields(e, e.key_version))))
    assert verify_chain(muni.pk).ok


def test_after_a_rotation_old_events_verify_and_new_ones_use_the_new_key(settings):
    muni = f.municipality()
    first = _key()
    settings.AUDIT_KEYS = f"1:{first}"
    chain_of(muni, 2)
    settings.AUDIT_KEYS = f"1:{first},2:{_key()}"
    chain = chain_of(muni, 2)
    assert [e.key_version for e in chain] == [1, 1, 2, 2]
    assert verify_chain(muni.pk).ok
    # A key removed too early: the events it sealed can no longer be verified, and say why.
    settings.AUDIT_KEYS = f"2:{_key()}"
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_seq) == (Problem.UNKNOWN_KEY, 1)


def test_without_the_key_nothing_is_sealed(settings):
    muni = f.municipality()
    settings.AUDIT_KEYS = ""
    record(Action.READ, muni)
    with pytest.raises(ImproperlyConfigured, match="TSUEN_AUDIT_KEYS"):
        seal()
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 1  # kept, unsealed
    settings.AUDIT_KEYS = settings.DEV_AUDIT_KEYS  # the public development key
    with pytest.raises(ImproperlyConfigured, match="public development key"):
        seal()
    settings.AUDIT_KEYS = f"1:{_key()}"
    assert seal() == 1


def test_without_the_key_verification_says_so_and_never_intact(settings):
    muni = f.municipality()
    chain_of(muni, 2)
    settings.AUDIT_KEYS = ""
    result = verify_chain(muni.pk)
    assert (result.problem, result.broken_seq) == (Problem.UNKNOWN_KEY, 1)
    assert "TSUEN_AUDIT_KEYS" in result.detail


def test_published_heads_find_a_rewrite_even_with_the_key(tmp_path):
    """Whoever holds the key can rewrite a chain so that it verifies; the heads published
    before (outside the database) no longer match it."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    muni = f.municipality()
    chain = chain_of(muni, 4)
    archive = tmp_path / "heads.jsonl"
    out = StringIO()
    call_command("publish_audit_heads", "--out", str(archive), stdout=out)
    assert '"seq": 4' in archive.read_text() and chain[3].hash in out.getvalue()
    call_command("verify_audit_chain", "--published", str(archive), stdout=StringIO())

    _rewrite_from(chain, 1, lambda e: (e.key_version, event_hash(_fields(e, e.key_version))))
    assert verify_chain(muni.pk).ok  # the key alone does not see it
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit_chain", "--published", str(archive), stdout=out)
    assert refused.value.returncode == 1
    assert f"{muni.code}: seq 4 published" in out.getvalue()
    assert "rewritten at or before it" in out.getvalue()

    archive.write_text("not a head\n")
    with pytest.raises(CommandError) as bad:
        call_command("verify_audit_chain", "--published", str(archive), stdout=StringIO())
    assert bad.value.returncode == 2
