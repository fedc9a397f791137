"""The restore drill, on the database under test (the suite runs on PostgreSQL and SQLite).

Build data, back up, restore into an empty scratch database (PostgreSQL: a database of its own
on the same server; SQLite: a file), compare row counts, checksums and chain heads with the
manifest and verify the audit chains; and every refusal: wrong key, a tampered or cut file
(refused before anything is written), a database that is not empty, no confirmation.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import secrets
import struct
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from tests import factories as f
from tests.audit.helpers import sealed
from tsuen.audit import Action, record
from tsuen.audit.models import AuditChainHead, AuditEvent
from tsuen.backups import container, services
from tsuen.backups.models import BackupRun, Kind, Result
from tsuen.families.models import Child
from tsuen.files import blobs
from tsuen.files.models import Purpose, ScanStatus, StoredFile
from tsuen.municipalities.models import StaffNetwork

pytestmark = pytest.mark.django_db(transaction=True)

CERTIFICATE = b"%PDF-1.4\n" + "医師の意見書 髙橋".encode() + os.urandom(3000)


@pytest.fixture
def backup_key(settings):
    settings.BACKUP_KEY = base64.b64encode(os.urandom(32)).decode()
    return settings.BACKUP_KEY


@pytest.fixture
def world():
    """Two wards with families, a facility, a doctor's certificate and sealed audit chains."""
    a, b = f.municipality(), f.municipality()
    children, accounts = [], []
    for ward in (a, a, b):
        account, _household, kid = f.family(ward, family_name="髙橋")
        children.append(kid)
        accounts.append(account)
    f.facility(a)
    kid = children[0]
    stored = StoredFile.objects.create(
        municipality_id=kid.household.municipality_id, household_id=kid.household_id,
        child_id=kid.pk, purpose=Purpose.DOCTOR_CERTIFICATE, original_name="意見書.pdf",
        content_type="application/pdf", size=len(CERTIFICATE),
        sha256=hashlib.sha256(CERTIFICATE).hexdigest(), scan_status=ScanStatus.CLEAN,
        uploaded_by=accounts[0],
    )  # fmt: skip
    blobs.seal(stored, CERTIFICATE).save(force_insert=True)
    with sealed():
        for kid in children:
            record(Action.READ, kid, ["family_name"])
        record(Action.LOGIN_FAILED)
    record(Action.READ, children[2], ["family_name"])  # appended, not yet sealed
    return {"wards": (a, b), "children": children, "file": stored}


def live_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return services._counts(cursor, connection.vendor, tables)


def tables_in(alias: str) -> list[str]:
    conn = connections[alias]
    with conn.cursor() as cursor:
        return conn.introspection.table_names(cursor)


@pytest.fixture
def scratch(tmp_path):
    """An empty database of its own, removed afterwards (never the test database)."""
    alias = f"scratch_{secrets.token_hex(3)}"
    with services.ScratchDatabase(connection, alias, tmp_path):
        yield alias


@pytest.fixture
def backup_file(world, backup_key, tmp_path) -> Path:
    out = io.StringIO()
    call_command("backup", str(tmp_path / "b.tsuenbackup"), stdout=out)
    assert "OK" in out.getvalue()
    return tmp_path / "b.tsuenbackup"


# --- the drill ---------------------------------------------------------------------------------


def test_backup_then_restore_into_an_empty_database_gives_back_the_same_data(
    world, backup_key, tmp_path, scratch
):
    counts_before = live_counts()
    heads_before = sorted(AuditChainHead.objects.values_list("key", "seq", "head_hash"))
    result = services.make_backup(tmp_path)
    manifest = result.manifest

    # The manifest describes the data backed up: every table's rows, the chain heads, the file.
    assert manifest["tables"] == counts_before
    assert manifest["database_vendor"] == connection.vendor
    assert sorted((h["chain"], h["seq"], h["hash"]) for h in manifest["audit_chain_heads"]) == (
        heads_before
    )
    assert manifest["uploaded_files"]["files"] == 1 == manifest["uploaded_files"]["blobs"]
    [part] = manifest["parts"]
    assert part["name"] == services.DB_PART[connection.vendor]
    # The file is encrypted: no name, address or certificate text appears in it.
    raw = result.path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == result.sha256 and len(raw) == result.size
    for clear in ("髙橋", "新宿1-1-1", "意見書", "audit_auditevent"):
        assert clear.encode() not in raw
    assert (result.path.stat().st_mode & 0o777) == 0o600
    assert Path(f"{result.path}.sha256").read_text().split()[0] == result.sha256

    report = services.restore(result.path, alias=scratch, record=False)

    assert report.ok, report.lines()
    assert report.count_mismatches == [] and report.head_mismatches == []
    assert report.tables_checked == len(counts_before)
    assert report.rows_checked == sum(counts_before.values())
    assert report.unsealed == 1
    assert len(report.chains) == 3 and all(line.startswith("OK") for line in report.chains)
    # Read back from the restored database: the rows and the certificate's bytes.
    restored = StoredFile.unscoped.using(scratch).get(pk=world["file"].pk)
    assert blobs.unseal(restored, restored.blob) == CERTIFICATE
    names = set(Child.unscoped.using(scratch).values_list("pk", flat=True))
    assert names == {kid.pk for kid in world["children"]}
    # The live database has one event more: the backup itself, recorded after the dump.
    assert AuditEvent.objects.using(scratch).count() == AuditEvent.objects.count() - 1
    [backed_up] = AuditEvent.objects.filter(action=Action.EXPORT, object_type="backups.backuprun")
    assert backed_up.document_sha256 == result.sha256 and backed_up.municipality_id is None


def test_the_restore_drill_command_restores_checks_and_records_the_result(backup_file):
    out = io.StringIO()
    call_command("restore_drill", str(backup_file), stdout=out)

    text = out.getvalue()
    assert "RESULT: OK" in text and "all match the manifest" in text
    assert "Drill recorded." in text
    backup = BackupRun.objects.last_of(Kind.BACKUP)
    drill = BackupRun.objects.last_of(Kind.DRILL)
    assert backup.result == Result.OK and drill.result == Result.OK
    assert drill.sha256 == backup.sha256 == hashlib.sha256(backup_file.read_bytes()).hexdigest()
    assert drill.size == backup_file.stat().st_size
    assert drill.file_name == backup_file.name and drill.backup_created_at is not None
    assert drill.operator and drill.command.startswith("restore_drill")
    assert "Schema: at this version's latest migrations" in text
    for run in (backup, drill):  # each in the national audit chain, with the file's SHA-256
        [event] = AuditEvent.objects.filter(object_type="backups.backuprun", object_id=run.pk)
        assert event.document_sha256 == run.sha256 and event.municipality_id is None
    assert {str(backup.pk): Action.EXPORT, str(drill.pk): Action.READ} == dict(
        AuditEvent.objects.filter(object_type="backups.backuprun").values_list(
            "object_id", "action"
        )
    )
    # The drill left nothing behind: no scratch database.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
                [connection.settings_dict["NAME"] + "_drill_%"],
            )
            assert cursor.fetchone()[0] == 0


def test_a_difference_after_restoring_is_reported(backup_file, scratch):
    """The checks can fail: a row missing, a head moved, an audit event edited."""
    report = services.restore(backup_file, alias=scratch, record=False)
    assert report.ok
    network = StaffNetwork.objects.first()
    conn = connections[scratch]
    with conn.cursor() as cursor:
        cursor.execute("DELETE FROM municipalities_staffnetwork WHERE id = %s", [network.pk])
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute("UPDATE audit_auditevent SET field_names = '[\"given_name\"]' WHERE seq = 1")
        cursor.execute("UPDATE audit_auditchainhead SET seq = seq + 5 WHERE key = 'national'")

    again = services.check_restored(scratch, report.manifest, report.file_sha256, 0)

    assert not again.ok
    assert [line.split(":")[0] for line in again.count_mismatches] == [
        "municipalities_staffnetwork"
    ]
    assert [line.split(":")[0] for line in again.head_mismatches] == ["national"]
    assert len(again.chains_broken) >= 2  # the edited events' chains and the national head
    assert "RESULT: FAILED" in again.lines()


def test_a_failed_drill_is_recorded_as_failed(backup_file, settings):
    backup_file.write_bytes(backup_file.read_bytes()[:-10])
    with pytest.raises(CommandError, match=r"cut short|altered"):
        call_command("restore_drill", str(backup_file), stdout=io.StringIO())
    drill = BackupRun.objects.last_of(Kind.DRILL)
    assert drill.result == Result.FAILED and "Nothing was restored" in drill.detail


# --- refusals, before anything is written ------------------------------------------------------


def test_a_backup_made_with_another_key_is_refused(backup_file, scratch, settings):
    settings.BACKUP_KEY = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(services.RestoreRefused, match="another backup key"):
        services.restore(backup_file, alias=scratch)
    assert tables_in(scratch) == []


def _chunks(data: bytes) -> list[bytes]:
    out, at = [], container.HEADER_BYTES
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        out.append(data[at : at + 4 + size])
        at += 4 + size
    return out


@pytest.mark.parametrize(
    "tamper",
    ["flip a byte", "cut short", "cut at a chunk", "drop a chunk", "swap chunks", "append"],
)
def test_a_tampered_backup_is_refused_before_anything_is_written(
    world, backup_key, tmp_path, scratch, monkeypatch, tamper
):
    monkeypatch.setattr(container, "CHUNK_BYTES", 4096)  # many chunks to move about
    result = services.make_backup(tmp_path)
    data = result.path.read_bytes()
    header, chunks = data[: container.HEADER_BYTES], _chunks(data)
    assert len(chunks) > 3
    match tamper:
        case "flip a byte":
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
        case "cut short":
            data = data[:-100]
        case "cut at a chunk":
            data = header + b"".join(chunks[:-1])
        case "drop a chunk":
            data = header + b"".join(chunks[:1] + chunks[2:])
        case "swap chunks":
            data = header + b"".join([chunks[1], chunks[0], *chunks[2:]])
        case "append":
            data = data + chunks[-2]
    result.path.write_bytes(data)

    out = io.StringIO()
    with pytest.raises(CommandError, match="restore refused") as refused:
        call_command("restore", str(result.path), "--database", scratch, "--yes", stdout=out)

    assert refused.value.returncode == 2
    assert "Nothing was restored" in str(refused.value)
    assert out.getvalue() == ""  # not even the plan: the file was checked first
    assert tables_in(scratch) == []


def test_a_database_that_is_not_empty_is_refused_unless_replace_is_given(backup_file, scratch):
    services.restore(backup_file, alias=scratch, record=False)
    with connections[scratch].cursor() as cursor:
        cursor.execute("DELETE FROM municipalities_staffnetwork")

    with pytest.raises(CommandError, match=r"already has .* tables.*--replace") as refused:
        call_command("restore", str(backup_file), "--database", scratch, "--yes")
    assert refused.value.returncode == 2
    assert StaffNetwork.objects.using(scratch).count() == 0  # untouched

    out = io.StringIO()
    call_command("restore", str(backup_file), "--database", scratch, "--yes", "--replace",
                 stdout=out)  # fmt: skip
    assert "DROPPED" in out.getvalue() and "RESULT: OK" in out.getvalue()
    assert StaffNetwork.objects.using(scratch).count() == StaffNetwork.objects.count() > 0
    [restore_run] = BackupRun.objects.using(scratch).filter(kind=Kind.RESTORE)
    assert restore_run.result == Result.OK and "--replace" in restore_run.command


def test_the_live_database_is_never_restored_over_without_replace(backup_file):
    before = live_counts()
    with pytest.raises(CommandError, match="already has"):
        call_command("restore", str(backup_file), "--yes")
    assert live_counts() == before


def test_restore_says_what_it_will_do_and_restores_nothing_unconfirmed(
    backup_file, scratch, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO("restore\n"))  # not a terminal
    out = io.StringIO()
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("restore", str(backup_file), "--database", scratch, stdout=out)
    assert (
        "Restore the backup made" in out.getvalue() and "The database is empty." in out.getvalue()
    )
    assert tables_in(scratch) == []


# --- the key -----------------------------------------------------------------------------------


def test_without_a_backup_key_production_refuses_to_back_up_or_restore(
    world, settings, tmp_path, backup_file, scratch
):
    settings.DEBUG = False
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="TSUEN_BACKUP_KEY is not set"):
        call_command("backup", str(tmp_path / "x.tsuenbackup"))
    assert not list(tmp_path.glob("x.tsuenbackup*"))
    with pytest.raises(CommandError, match="TSUEN_BACKUP_KEY is not set"):
        call_command("restore", str(backup_file), "--database", scratch, "--yes")
    assert tables_in(scratch) == []


@pytest.mark.postgres_only
def test_a_failed_backup_is_recorded_and_leaves_no_file(world, backup_key, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))  # no pg_dump to be found
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        call_command("backup", str(tmp_path / "b.tsuenbackup"))
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .partial
    run = BackupRun.objects.last_of(Kind.BACKUP)
    assert run.result == Result.FAILED and "pg_dump is not installed" in run.detail


class Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "restored"), [("restore\n", True), ("yes\n", False)])
def test_at_a_terminal_restore_asks_and_only_the_word_restore_goes_on(
    backup_file, scratch, monkeypatch, answer, restored
):
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    out = io.StringIO()
    if restored:
        call_command("restore", str(backup_file), "--database", scratch, stdout=out)
        assert "RESULT: OK" in out.getvalue()
        assert StaffNetwork.objects.using(scratch).count() == StaffNetwork.objects.count()
    else:
        with pytest.raises(CommandError, match="not confirmed"):
            call_command("restore", str(backup_file), "--database", scratch, stdout=out)
        assert tables_in(scratch) == []
    assert "Restore the backup made" in out.getvalue()


def test_check_only_checks_a_file_and_touches_no_database(backup_file, tmp_path):
    before = live_counts()
    out = io.StringIO()
    call_command("restore", str(backup_file), "--check-only", stdout=out)
    assert "OK: every chunk authenticates and every checksum matches" in out.getvalue()
    assert hashlib.sha256(backup_file.read_bytes()).hexdigest() in out.getvalue()
    assert live_counts() == before  # the live database has tables: no refusal, nothing restored

    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 1
    backup_file.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="backup file refused: chunk"):
        call_command("restore", str(backup_file), "--check-only", stdout=io.StringIO())
