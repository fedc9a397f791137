"""Issue 12 item 2: the deletion report (消去報告書) of an executed run, read back as text with
pdftotext: the ward, each record class with its rule and count, the method, the start and end
in 和暦, the operator and the approver; its SHA-256 is the one in the audit chain."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess  # nosec B404: pdftotext on a file the test wrote
from pathlib import Path

import pytest
from django.utils import translation

from tests.retention import scene as s
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.retention import services
from tsuen.retention.report import MODEL_NAMES
from tsuen.retention.schedule import RecordClass

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils (pdftotext) is needed to read the report back"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    keep = os.environ.get("TSUEN_KEEP_REPORT")
    if keep:
        Path(keep).write_bytes(data)
    out = subprocess.run(  # nosec B603: fixed program, our own file
        [pdftotext, "-raw", str(path), "-"], check=True, capture_output=True
    )
    return out.stdout.decode("utf-8")


@pytest.fixture
def executed():
    w = s.with_held_household(s.ward_scene())
    with clock.frozen(s.TODAY):
        run = services.request_run(w["admin"])
        services.approve_run(w["second"], run.pk)
        run = services.execute_run(w["second"], run.pk)
    return w, run


def test_the_report_says_what_went_under_which_rule_who_and_when(executed, tmp_path):
    w, run = executed
    text = pdf_text(run.report_pdf, tmp_path)
    flat = "".join(text.split())  # table cells wrap anywhere: compare without white space
    assert "消去報告書" in flat
    assert w["ward"].name in flat and w["ward"].code in flat
    # 和暦: the run was made on 3 December 2026 (令和8年), 19:00 in Tokyo.
    assert "令和8年12月3日19時00分00秒" in flat
    assert "2026" not in flat
    assert "実施者（申請者）管理一郎" in flat and "承認者（別の管理者）承認花子" in flat
    # Each record class with its rule and cutoff: payment-linked records closed by 31 March
    # 2021 (令和3年), care records by 2 December 2025 (令和7年).
    assert "会計年度の終了後5年" in flat and "令和3年3月31日" in flat
    assert "12か月" in flat and "令和7年12月2日" in flat
    # Every class with its count: the old family's records (the held family's are kept).
    assert (
        "終了した認定とその申請申請:1、認定:1終了した日の属する会計年度の終了後5年令和3年3月31日2"
        in flat
    )
    assert "予約と出欠記録出欠記録:1、予約:1" in flat
    assert "減免区分の証明書類（ファイル）アップロードされたファイル:2" in flat
    totals = [sum(c.values()) for c in run.deleted.values()]
    assert (
        "保存すべき記録のなくなった世帯" in flat
        and "世帯:1、保護者:1、こども:1"
        in flat.replace("こども:1、保護者:1、世帯:1", "世帯:1、保護者:1、こども:1")
    )
    # The old family's paid claim (one version, one line): its class, rows, rule and cutoff.
    with translation.override("ja"):
        claims = "".join(
            str(part)
            for part in (
                services.label(RecordClass.CLAIMS),
                MODEL_NAMES["billing.Claim"], ":1、", MODEL_NAMES["billing.ClaimLine"], ":1",
                services.period_text(RecordClass.CLAIMS), "令和3年3月31日", "2",
            )
        )  # fmt: skip
        # The old family's guardian's account, anonymised with its household (12 months
        # before: 2 December 2025, 令和7年).
        accounts = "".join(
            str(part)
            for part in (
                services.label(RecordClass.ACCOUNTS), MODEL_NAMES["accounts.User"], ":1",
                services.period_text(RecordClass.ACCOUNTS), "令和7年12月2日", "1",
            )
        )  # fmt: skip
    assert "".join(claims.split()) in flat
    assert "".join(accounts.split()) in flat
    with translation.override("ja"):
        method = translation.gettext(
            "Closed log-in accounts are not deleted but anonymised: their email address, name, "
            "password, last sign-in and second factors are erased, so no one can sign in with "
            "them, while the records and audit events that name them still resolve."
        )
    assert "".join(method.split()) in flat
    # 19 rows, the consent and the old guardian's account.
    assert f"合計{sum(totals)}" in flat and sum(totals) == 21
    assert "法的保全" in flat  # the method says what was not touched
    assert hashlib.sha256(run.report_pdf).hexdigest() == run.report_sha256
    event = AuditEvent.objects.get(action="purge", object_type="retention.purgerun")
    assert event.document_sha256 == run.report_sha256
