"""The operator's commands: certifications_export (a protected ZIP, the password printed
once, audited) and certifications_import (dry run by default, --commit imports)."""

from __future__ import annotations

import hashlib
import io

import pytest
import pyzipper
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.exchange.support import administrator, ward_with_records
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.certification.models import Certification
from tsuen.files.models import Purpose, StoredFile

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_export_then_import_with_the_commands(tmp_path):
    ward, other = f.municipality(), f.municipality()
    admin, admin_b = administrator(ward), administrator(other)
    ward_with_records(ward, admin, outside_cp932=False)
    out = tmp_path / "export.zip"
    printed = _run(
        "certifications_export", "--as", admin.email, "--out", str(out), "--encoding", "cp932"
    )
    password = printed.split("Password (shown once, not stored): ")[1].strip()
    archive = out.read_bytes()
    assert (out.stat().st_mode & 0o777) == 0o600
    with pyzipper.AESZipFile(io.BytesIO(archive)) as opened:
        opened.setpassword(password.encode())
        [name] = opened.namelist()
        data = opened.read(name)
    sha = hashlib.sha256(archive).hexdigest()
    assert AuditEvent.objects.filter(action="export", document_sha256=sha).count() >= 5
    with pytest.raises(CommandError):
        _run("certifications_export", "--as", admin.email, "--out", str(out))  # never overwrites

    moved = data.replace(f"\r\n{ward.code},".encode(), f"\r\n{other.code},".encode())
    source = tmp_path / "moved.csv"
    source.write_bytes(moved)
    dry = _run("certifications_import", str(source), "--as", admin_b.email)
    assert "5 certifications" in dry and "Dry run" in dry
    assert not Certification.unscoped.filter(municipality=other).exists()
    assert not StoredFile.unscoped.filter(purpose=Purpose.EXCHANGE_IMPORT).exists()
    done = _run("certifications_import", str(source), "--as", admin_b.email, "--commit")
    assert "Imported 5 certifications" in done
    assert Certification.unscoped.filter(municipality=other).count() == 5
    # Twice: every number is taken now; nothing more is imported.
    with pytest.raises(CommandError):
        _run("certifications_import", str(source), "--as", admin_b.email, "--commit")
    assert Certification.unscoped.filter(municipality=other).count() == 5
    assert not StoredFile.unscoped.filter(purpose=Purpose.EXCHANGE_IMPORT).exists()


def test_the_commands_act_only_as_a_ward_administrator(tmp_path):
    ward = f.municipality()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    with pytest.raises(CommandError):
        _run("certifications_export", "--as", reviewer.email, "--out", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError):
        _run("certifications_export", "--as", "nobody@example.jp", "--out", str(tmp_path / "y"))
    assert not (tmp_path / "x.zip").exists()
