"""``manage.py operations_report``: the operator's monthly archive (counts only, the download
recorded in the ward's chain with the PDF's SHA-256); a month not over, an unknown ward or a
bad month refused with nothing written."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from tests.opsreport import scene as s
from tests.retention.test_report import pdf_text
from tsuen.audit.models import AuditEvent
from tsuen.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(django_capture_on_commit_callbacks):
    return s.build(django_capture_on_commit_callbacks)


def run(*args):
    with clock.frozen(s.TODAY):
        call_command("operations_report", *args)


def test_the_archive_copy_of_november_holds_counts_and_no_names(ward, tmp_path):
    out = tmp_path / "report.pdf"
    run("--municipality", ward.ward.code, "--month", "2026-11", "--out", str(out))
    data = out.read_bytes()
    text = pdf_text(data, tmp_path)
    assert "成功したログイン 3" in text and "二要素認証なし 3" in text
    assert "令和8年11月（2026年11月）" in text and "集計途中" not in text
    assert not [x for x in ("審査 未設定", "保育 未設定", ward.nameless.email) if x in text]
    recorded = AuditEvent.objects.get(action="download", object_type="municipalities.municipality")
    assert recorded.municipality_id == ward.ward.pk and recorded.actor_role == "system"
    assert recorded.document_sha256 == hashlib.sha256(data).hexdigest()


def test_without_a_month_the_last_month_over(ward, tmp_path):
    out = tmp_path / "report.pdf"
    run("--municipality", ward.ward.code, "--out", str(out))
    assert "令和8年11月（2026年11月）" in pdf_text(out.read_bytes(), tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-12"], "not over yet"),
        (["--month", "2027-01"], "まだ始まっていません"),
        (["--month", "2026-13"], "2026-11"),
        (["--municipality", "00000"], "No municipality with code 00000"),
    ],
)
def test_refused_with_the_reason_and_nothing_written(ward, tmp_path, args, message):
    out = tmp_path / "report.pdf"
    given = dict(zip(args[::2], args[1::2], strict=True))
    given = {"--municipality": ward.ward.code} | given
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=message):
        run(*[x for pair in given.items() for x in pair], "--out", str(out))
    assert not out.exists() and AuditEvent.objects.count() == before
