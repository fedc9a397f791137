"""The keyring: key parsing, versions, authentication, and no key material in reprs."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.privacy.conftest import KEY1, KEY2
from tsuen.privacy import crypto
from tsuen.privacy.checks import check_field_keys
from tsuen.privacy.crypto import DecryptionError, Keyring, keyring, parse_keys, version_of

RAW_KEY = base64.b64decode(KEY1.split(":", 1)[1])


def test_highest_version_encrypts_and_every_version_decrypts():
    old = Keyring(parse_keys(KEY1))
    both = Keyring(parse_keys(f"{KEY2},{KEY1}"))
    stored = old.encrypt(b"payload", "a.B.c")
    assert stored.startswith("v1:")
    assert both.current_version == 2
    assert both.decrypt(stored, "a.B.c") == b"payload"
    assert both.encrypt(b"payload", "a.B.c").startswith("v2:")
    assert both.reencrypt(stored, "a.B.c").startswith("v2:")


def test_random_nonce_gives_different_ciphertexts():
    ring = Keyring(parse_keys(KEY1))
    assert len({ring.encrypt(b"same", "a.B.c") for _ in range(20)}) == 20


def test_context_binding():
    ring = Keyring(parse_keys(KEY1))
    stored = ring.encrypt(b"payload", "families.Child.allergies")
    with pytest.raises(DecryptionError, match="authenticate"):
        ring.decrypt(stored, "families.Child.illnesses")


def test_unknown_version():
    ring = Keyring(parse_keys(KEY2))
    stored = Keyring(parse_keys(KEY1)).encrypt(b"payload", "a.B.c")
    with pytest.raises(DecryptionError, match="version 1"):
        ring.decrypt(stored, "a.B.c")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plaintext",
        "v:AAAA",
        "1:AAAA",
        "vx:AAAA",
        "v²:AAAA",  # a Unicode digit is not a version
        "v1:not base64!",
        "v1:" + base64.b64encode(b"too short").decode(),
        "v1:" + base64.b64encode(bytes(40)).decode(),
    ],
)
def test_malformed_values_raise_decryption_error(stored):
    with pytest.raises(DecryptionError):
        Keyring(parse_keys(KEY1)).decrypt(stored, "a.B.c")


def test_every_tampered_byte_is_detected():
    ring = Keyring(parse_keys(KEY1))
    stored = ring.encrypt(b"payload", "a.B.c")
    blob = bytearray(base64.b64decode(stored[3:]))
    for i in range(len(blob)):
        changed = bytearray(blob)
        changed[i] ^= 0x01
        with pytest.raises(DecryptionError):
            ring.decrypt("v1:" + base64.b64encode(changed).decode(), "a.B.c")


def test_version_of():
    assert version_of("v12:xyz") == 12
    with pytest.raises(DecryptionError):
        version_of(None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("abc", "expected"),
        ("x:" + KEY1.split(":")[1], "expected"),
        ("٣:" + KEY1.split(":")[1], "expected"),
        ("0:" + KEY1.split(":")[1], "start at 1"),
        ("1:not-base64!", "base64"),
        ("1:" + base64.b64encode(b"short").decode(), "32 bytes"),
        (f"{KEY1},{KEY1}", "twice"),
        (f"{KEY1},2:{KEY1.split(':')[1]}", "repeats"),
    ],
)
def test_bad_key_specs_are_refused_without_showing_the_key(spec, message):
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        parse_keys(spec)
    assert KEY1.split(":")[1] not in str(excinfo.value)


def test_spaces_around_entries_are_allowed():
    assert parse_keys(f" {KEY1} , {KEY2} ") == parse_keys(f"{KEY1},{KEY2}")


def test_repr_shows_versions_not_keys():
    ring = Keyring(parse_keys(f"{KEY1},{KEY2}"))
    assert repr(ring) == "Keyring(versions=[1, 2])"
    assert RAW_KEY.hex() not in repr(ring) and str(RAW_KEY) not in repr(ring)


def test_keyring_follows_the_setting(settings):
    settings.FIELD_ENCRYPTION_KEYS = KEY1
    assert keyring().current_version == 1
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    assert keyring().current_version == 2


def test_generate_key():
    keys = {crypto.generate_key() for _ in range(5)}
    assert len(keys) == 5
    for key in keys:
        assert len(base64.b64decode(key, validate=True)) == 32
        assert parse_keys(f"1:{key}")


def test_system_check_reports_a_broken_key_setting(settings):
    assert check_field_keys() == []
    settings.FIELD_ENCRYPTION_KEYS = "1:short"
    errors = check_field_keys()
    assert [e.id for e in errors] == ["privacy.E001"]
