"""Files at rest: encrypted in the database, bound to their row, rotated with the field keys,
written with their row in one transaction, and moved out of the old file storage."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tests.files.samples import PDF, png
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.files import blobs
from tsuen.files.models import Purpose, ScanStatus, StoredFile, StoredFileBlob
from tsuen.files.services import Owner, store_upload
from tsuen.privacy.crypto import DecryptionError

pytestmark = pytest.mark.django_db

KEY1 = "1:" + base64.b64encode(b"tsuen-test-files-key-version-01!").decode()
KEY2 = "2:" + base64.b64encode(b"tsuen-test-files-key-version-02!").decode()
REFUSAL = "このファイルは開けません"


@pytest.fixture(autouse=True)
def _keys_v1(settings):
    settings.FIELD_ENCRYPTION_KEYS = KEY1


@pytest.fixture
def family():
    ward = f.municipality()
    guardian, household, child = f.family(ward)
    return guardian, Owner(ward.pk, household.pk, child.pk)


def certificate(account, owner, data: bytes, name="診断書.pdf") -> StoredFile:
    return store_upload(
        account, SimpleUploadedFile(name, data), purpose=Purpose.DOCTOR_CERTIFICATE, owner=owner
    )


def raw_blob(stored: StoredFile) -> tuple[int, bytes]:
    """The blob's columns exactly as stored, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key_version, ciphertext FROM files_storedfileblob WHERE file_id = %s",
            [stored.pk],
        )
        version, ciphertext = cursor.fetchone()
    return version, bytes(ciphertext)


def write_raw_blob(stored: StoredFile, version: int, ciphertext: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE files_storedfileblob SET key_version = %s, ciphertext = %s WHERE file_id = %s",
            [version, ciphertext, stored.pk],
        )


def download(client, stored):
    return client.get(reverse("files:download", args=[stored.pk]), HTTP_ACCEPT_LANGUAGE="ja")


def test_the_database_holds_only_ciphertext(family):
    account, owner = family
    secret = PDF + "喘息の診断書 試験 一花".encode()
    stored = certificate(account, owner, secret)
    version, ciphertext = raw_blob(stored)
    assert version == 1
    assert b"%PDF" not in ciphertext and "喘息".encode() not in ciphertext
    assert len(ciphertext) == len(secret) + 12 + 16  # nonce + data + tag: nothing else stored
    assert blobs.read(stored) == secret


def test_swapped_ciphertexts_are_refused_not_served(
    client, family, django_capture_on_commit_callbacks
):
    account, owner = family
    first = certificate(account, owner, PDF + b"first", "一通目.pdf")
    second = certificate(account, owner, PDF + b"second", "二通目.pdf")
    first_blob, second_blob = raw_blob(first), raw_blob(second)
    write_raw_blob(first, *second_blob)
    write_raw_blob(second, *first_blob)
    client.force_login(account)
    with django_capture_on_commit_callbacks(execute=True):
        responses = [download(client, first), download(client, second)]
    for response in responses:
        assert response.status_code == 409
        page = response.content.decode()
        assert REFUSAL in page and "first" not in page and "second" not in page
    assert not AuditEvent.objects.filter(action="download").exists()  # nothing was disclosed


def test_a_row_edited_to_become_a_public_photo_does_not_serve_the_certificate(family):
    """Someone with write access to the table turns a child's doctor's certificate into a
    facility photo, which anyone may fetch: the binding to the purpose stops it."""
    account, owner = family
    stored = certificate(account, owner, png())
    facility = f.facility(stored.municipality)
    StoredFile.unscoped.filter(pk=stored.pk).update(
        purpose=Purpose.FACILITY_PHOTO, facility=facility
    )
    response = download(Client(), stored)
    assert response.status_code == 409 and REFUSAL in response.content.decode()


def test_a_tampered_ciphertext_is_refused(client, family):
    account, owner = family
    stored = certificate(account, owner, PDF)
    version, ciphertext = raw_blob(stored)
    write_raw_blob(stored, version, ciphertext[:-1] + bytes([ciphertext[-1] ^ 1]))
    client.force_login(account)
    assert download(client, stored).status_code == 409
    with pytest.raises(DecryptionError):
        blobs.read(stored)


def test_the_row_and_its_bytes_are_written_in_one_transaction(family, settings):
    """The row is inserted first (its id is part of the binding); when encrypting then fails,
    the row goes too."""
    account, owner = family
    settings.FIELD_ENCRYPTION_KEYS = "1:not-a-key"
    with pytest.raises(ImproperlyConfigured):
        certificate(account, owner, PDF)
    assert not StoredFile.unscoped.exists() and not StoredFileBlob.unscoped.exists()


def test_files_stored_before_scanning_are_not_served(client, family):
    account, owner = family
    stored = certificate(account, owner, PDF)
    StoredFile.unscoped.filter(pk=stored.pk).update(scan_status=ScanStatus.NOT_SCANNED)
    client.force_login(account)
    response = download(client, stored)
    assert response.status_code == 409 and "ウイルスチェック" in response.content.decode()


def test_deleting_a_photo_deletes_its_bytes(client):
    ward = f.municipality()
    facility = f.facility(ward)
    manager = f.user(Role.FACILITY_MANAGER, facility=facility)
    f.second_factor(manager)
    photo = store_upload(
        manager,
        SimpleUploadedFile("園庭.png", png()),
        purpose=Purpose.FACILITY_PHOTO,
        owner=Owner(ward.pk, facility_id=facility.pk),
    )
    login_with_second_factor(client, manager)
    response = client.post(
        reverse("facilities:staff_profile"), {"action": "delete_photo", "photo": photo.pk}
    )
    assert response.status_code == 302
    assert not StoredFile.unscoped.exists() and not StoredFileBlob.unscoped.exists()


# --- rotation ------------------------------------------------------------------------------------


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_files_and_the_old_key_can_go(client, family, settings):
    account, owner = family
    stored = certificate(account, owner, PDF + b"rotate me")
    before = raw_blob(stored)
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    assert blobs.read(stored) == PDF + b"rotate me"  # v1 still reads before rotation

    output = rotate()

    assert "files.StoredFileBlob.ciphertext (uploaded files): re-encrypted 1 (v1: 1)" in output
    version, ciphertext = raw_blob(stored)
    assert version == 2 and ciphertext != before[1]
    settings.FIELD_ENCRYPTION_KEYS = KEY2  # the old key removed
    client.force_login(account)
    response = download(client, stored)
    assert b"".join(response.streaming_content) == PDF + b"rotate me"
    assert "re-encrypted 0, already current 1" in rotate().split("(uploaded files)")[1]


def test_rotation_reports_a_file_it_cannot_decrypt_and_keeps_it(family, settings):
    account, owner = family
    good = certificate(account, owner, PDF + b"good")
    bad = certificate(account, owner, PDF + b"bad")
    version, ciphertext = raw_blob(bad)
    write_raw_blob(bad, version, ciphertext[:-1] + bytes([ciphertext[-1] ^ 1]))
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    with pytest.raises(Exception, match=f"uploaded files\\) pk={bad.pk}"):
        rotate()
    assert raw_blob(good)[0] == 2 and raw_blob(bad)[0] == 1


# --- the move out of var/private -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_files_in_the_old_storage_move_into_the_database(settings, tmp_path):
    from django.db.migrations.executor import MigrationExecutor

    from tsuen.core import tenancy

    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        }
    }
    with tenancy.cross_tenant("test set-up"):
        ward = f.municipality()
        guardian, household, child = f.family(ward)
    before, latest = (
        [("files", "0002_storedfileblob")],
        [("files", "0004_remove_storedfile_storage_name")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        OldStoredFile = executor.loader.project_state(before).apps.get_model("files", "StoredFile")
        data = PDF + b"kept in var/private since 2026"
        (tmp_path / "uploads" / "2026" / "11").mkdir(parents=True)
        (tmp_path / "uploads/2026/11/abc.pdf").write_bytes(data)
        old = OldStoredFile._base_manager.create(
            municipality_id=ward.pk, household_id=household.pk, child_id=child.pk,
            purpose="doctor_certificate", original_name="診断書.pdf",
            content_type="application/pdf", size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), storage_name="uploads/2026/11/abc.pdf",
            scan_status="clean", uploaded_by_id=guardian.pk,
        )  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    stored = StoredFile.unscoped.get(pk=old.pk)
    assert blobs.read(stored) == data
    assert not (tmp_path / "uploads/2026/11/abc.pdf").exists()  # the clear copy is gone


@pytest.mark.django_db(transaction=True)
def test_a_missing_old_file_stops_the_move_and_names_the_row(settings, tmp_path):
    from django.db.migrations.executor import MigrationExecutor

    from tsuen.core import tenancy

    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        }
    }
    with tenancy.cross_tenant("test set-up"):
        ward = f.municipality()
        guardian, household, _ = f.family(ward)
    before = [("files", "0002_storedfileblob")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldStoredFile = executor.loader.project_state(before).apps.get_model("files", "StoredFile")
    old = OldStoredFile._base_manager.create(
        municipality_id=ward.pk, household_id=household.pk, purpose="fee_evidence",
        original_name="課税証明書.pdf", content_type="application/pdf", size=1,
        sha256="0" * 64, storage_name="uploads/gone.pdf", scan_status="clean",
        uploaded_by_id=guardian.pk,
    )  # fmt: skip
    try:
        with pytest.raises(RuntimeError, match=f"file {old.pk}: uploads/gone.pdf is missing"):
            MigrationExecutor(connection).migrate([("files", "0003_move_files_into_database")])
    finally:
        OldStoredFile._base_manager.filter(pk=old.pk).delete()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- scanning what is already stored -------------------------------------------------------------


def stored_as(account, owner, data: bytes, status: str) -> StoredFile:
    """A file as an older version stored it: set up past the upload path, on purpose."""
    stored = StoredFile.objects.create(
        municipality_id=owner.municipality_id, household_id=owner.household_id,
        child_id=owner.child_id, purpose=Purpose.DOCTOR_CERTIFICATE, original_name="古い.pdf",
        content_type="application/pdf", size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), scan_status=status, uploaded_by=account,
    )  # fmt: skip
    blobs.seal(stored, data).save(force_insert=True)
    return stored


def test_files_stored_before_scanning_are_served_once_scanned_clean(client, family):
    account, owner = family
    old = stored_as(account, owner, PDF + b"old", ScanStatus.NOT_SCANNED)
    client.force_login(account)
    assert download(client, old).status_code == 409
    out = io.StringIO()
    call_command("scan_stored_files", stdout=out)
    assert "clean 1, malware 0" in out.getvalue()
    assert b"".join(download(client, old).streaming_content) == PDF + b"old"


def test_a_rescan_that_finds_malware_stops_serving_the_file(
    client, family, django_capture_on_commit_callbacks
):
    from django.core.management import CommandError

    from tests.files.samples import eicar

    account, owner = family
    infected = stored_as(account, owner, PDF + eicar(), ScanStatus.CLEAN)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError):
        call_command("scan_stored_files", "--all", stdout=io.StringIO())
    infected.refresh_from_db()
    assert infected.scan_status == ScanStatus.INFECTED
    event = AuditEvent.objects.get(action="malware_found")
    assert (event.object_id, event.document_sha256) == (str(infected.pk), infected.sha256)
    client.force_login(account)
    assert download(client, infected).status_code == 409


def test_a_rescan_without_a_scanner_changes_nothing(family, settings):
    from django.core.management import CommandError

    account, owner = family
    old = stored_as(account, owner, PDF, ScanStatus.NOT_SCANNED)
    settings.CLAMD_SOCKET = ""
    with pytest.raises(CommandError, match=f"file {old.pk}"):
        call_command("scan_stored_files", stdout=io.StringIO())
    old.refresh_from_db()
    assert old.scan_status == ScanStatus.NOT_SCANNED
