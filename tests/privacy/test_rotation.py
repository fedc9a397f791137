"""Key rotation: manage.py rotate_field_keys and generate_field_key."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.privacy.conftest import KEY1, KEY2, KEY3, raw, reread, write_raw
from tests.privacy.samples import S_VALUES, make_rows
from tsuen.privacy import crypto, rotation
from tsuen.privacy.crypto import DecryptionError

pytestmark = pytest.mark.django_db


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_field_keys", *args, stdout=out)
    return out.getvalue()


def snapshot(rows) -> dict:
    return {key: raw(obj, key[1]) for key, obj in rows.items()}


def assert_values(rows) -> None:
    for label, name, value, _ in S_VALUES:
        assert getattr(reread(rows[label, name]), name) == value, f"{label}.{name}"


def test_rotation_moves_every_value_to_the_new_key(settings):
    rows = make_rows()
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    # Before rotation: old rows are still under v1 and still read; new writes use v2.
    assert all(stored.startswith("v1:") for stored in snapshot(rows).values())
    assert_values(rows)

    output = rotate("--batch-size", "2")

    assert "families.Child.allergies: re-encrypted 1 (v1: 1)" in output
    assert "certification.Application.declared_fee_class: re-encrypted 1 (v1: 1)" in output
    assert all(stored.startswith("v2:") for stored in snapshot(rows).values())
    assert_values(rows)

    # The old key can now be dropped: everything still reads.
    settings.FIELD_ENCRYPTION_KEYS = KEY2
    assert_values(rows)


def test_rotation_is_idempotent(settings):
    rows = make_rows()
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    rotate()
    after_first = snapshot(rows)
    output = rotate()
    assert snapshot(rows) == after_first
    assert "Total: re-encrypted 0" in output
    assert "families.Child.allergies: re-encrypted 0, already current 1" in output


def test_rotation_in_many_small_batches(settings):
    """More rows than one batch, several rows per field, and NULLs left alone."""
    rows = [make_rows() for _ in range(5)]
    child = rows[0]["families.Child", "allergies"]
    child.allergies = None
    child.save()
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    output = rotate("--batch-size", "2")
    assert "families.Child.allergies: re-encrypted 4 (v1: 4)" in output
    assert raw(child, "allergies") is None
    for each in rows[1:]:
        assert raw(each["families.Child", "allergies"], "allergies").startswith("v2:")


def test_rotation_across_three_versions(settings):
    rows = make_rows()
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    other = make_rows()  # written under v2
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2},{KEY3}"
    output = rotate()
    assert "families.Child.allergies: re-encrypted 2 (v1: 1, v2: 1)" in output
    settings.FIELD_ENCRYPTION_KEYS = KEY3
    assert_values(rows)
    assert_values(other)


def test_dry_run_changes_nothing(settings):
    rows = make_rows()
    before = snapshot(rows)
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    output = rotate("--dry-run")
    assert snapshot(rows) == before
    assert "dry run" in output
    assert "families.Child.allergies: would re-encrypt 1 (v1: 1)" in output


def test_removing_the_old_key_before_rotation_fails_loudly(settings):
    rows = make_rows()
    settings.FIELD_ENCRYPTION_KEYS = KEY2
    child = rows["families.Child", "allergies"]
    with pytest.raises(DecryptionError, match="no key configured for version 1"):
        reread(child)
    with pytest.raises(CommandError, match="could not be decrypted"):
        rotate()


def test_a_tampered_value_is_reported_and_the_rest_rotated(settings):
    rows = make_rows()
    child = rows["families.Child", "allergies"]
    stored = raw(child, "allergies")
    flipped = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    write_raw(child, "allergies", flipped)
    with pytest.raises(DecryptionError):
        reread(child)

    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    with pytest.raises(CommandError) as excinfo:
        rotate()
    assert f"families.Child.allergies pk={child.pk}" in str(excinfo.value)
    assert raw(child, "allergies") == flipped  # left as it was, for investigation
    assert raw(child, "development_notes").startswith("v2:")
    assert raw(rows["families.Household", "support_needed"], "support_needed").startswith("v2:")


def test_rotation_pads_values_written_before_padding(settings):
    rows = make_rows()
    household = rows["families.Household", "support_needed"]
    ring = crypto.keyring()
    field = household._meta.get_field("support_needed")
    write_raw(household, "support_needed", ring.encrypt(b"true", field.crypto_context))
    legacy = raw(household, "support_needed")
    assert reread(household).support_needed is True
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    rotate()
    rotated = raw(household, "support_needed")
    assert len(rotated) > len(legacy)
    assert reread(household).support_needed is True


def test_registered_extra_rotators_run_too(settings):
    calls = []

    def rotator(**kwargs):
        calls.append(kwargs)
        return rotation.RotationReport("mfa.Authenticator.data", rotated=3)

    rotation.register_rotator("mfa", rotator)
    try:
        output = rotate("--dry-run", "--batch-size", "7")
    finally:
        rotation.unregister_rotator("mfa")
    assert calls == [{"batch_size": 7, "dry_run": True, "using": "default"}]
    assert "mfa.Authenticator.data: would re-encrypt 3" in output


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="batch-size"):
        rotate("--batch-size", "0")


def test_generate_field_key_prints_the_next_version(settings):
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_field_key", stdout=out, stderr=err)
    entry = out.getvalue().strip()
    assert entry.startswith("3:")
    assert crypto.parse_keys(f"{KEY1},{KEY2},{entry}")[3] not in (
        crypto.parse_keys(KEY1)[1],
        crypto.parse_keys(KEY2)[2],
    )
    assert "rotate_field_keys" in err.getvalue()


def test_generate_field_key_with_explicit_version():
    out = io.StringIO()
    call_command("generate_field_key", "--key-version", "7", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("7:")
    with pytest.raises(CommandError):
        call_command("generate_field_key", "--key-version", "0", stdout=io.StringIO())


def test_staff_mfa_secrets_rotate_with_the_field_keys(settings):
    """allauth's TOTP secrets are encrypted with our keys outside any EncryptedField; the
    accounts app registers a rotator so that dropping an old key never locks staff out."""
    from allauth.mfa.models import Authenticator

    from tests import factories as f
    from tsuen.accounts.models import Role
    from tsuen.accounts.services import enable_totp, totp_secret
    from tsuen.privacy.crypto import version_of

    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=f.municipality())
    secret = enable_totp(staff)
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    assert "mfa" in rotate("--dry-run").lower()
    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP).data["secret"]
    assert version_of(stored) == 1  # a dry run writes nothing
    rotate()
    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP).data["secret"]
    assert version_of(stored) == 2
    settings.FIELD_ENCRYPTION_KEYS = KEY2  # the old key is gone; the secret still reads
    assert totp_secret(staff) == secret
