"""Issue 12 items 1-2 through the screen: one administrator asks, the same one cannot approve,
a second approves and executes; the report downloads for the administrator and the auditor,
with the SHA-256 of the audit event; bad input answers 400 and writes nothing."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests import factories as f
from tests.retention import scene as s
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.certification.models import Certification
from tsuen.core import clock
from tsuen.retention import services
from tsuen.retention.models import LegalHold, PurgeRun, RetentionRule, RunStatus
from tsuen.retention.schedule import RecordClass

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    world = s.ward_scene()
    for key in ("admin", "second", "auditor", "reviewer", "other_admin"):
        f.second_factor(world[key])
    return world


def as_(client, user):
    client.logout()
    login_with_second_factor(client, user)
    return client


def test_ask_approve_execute_and_download(client, w):
    with clock.frozen(s.TODAY, all_threads=True):
        as_(client, w["admin"])
        page = client.get(reverse("retention:index") + "?dry_run=1")
        assert page.status_code == 200
        assert "今日実行した場合に消去されるもの" in page.content.decode()
        # Per class, the claims (the old and the held family's: one version and one line
        # each) and the accounts of the two households that go.
        for record_class, rows in ((RecordClass.CLAIMS, 4), (RecordClass.ACCOUNTS, 2)):
            assert escape(f"{services.label(record_class)}: {rows}") in page.content.decode()
        assert client.post(reverse("retention:run_request")).status_code == 302
        run = PurgeRun.objects.get()
        refused = client.post(reverse("retention:run_approve", args=[run.pk]))
        assert refused.status_code == 400
        assert "ご自身が申請した消去は承認できません" in refused.content.decode()
        as_(client, w["second"])
        # The approver sees the dry run kept with the request, per class.
        page = client.get(reverse("retention:index")).content.decode()
        assert escape(f"{services.label(RecordClass.CLAIMS)}: 4") in page
        assert client.post(reverse("retention:run_approve", args=[run.pk])).status_code == 302
        assert client.post(reverse("retention:run_execute", args=[run.pk])).status_code == 302
        run.refresh_from_db()
        assert run.status == RunStatus.EXECUTED
        assert not Certification.unscoped.filter(pk=w["old"]["cert"].pk).exists()
        for user in (w["second"], w["auditor"]):
            as_(client, user)
            pdf = client.get(reverse("retention:report", args=[run.pk]))
            assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
            assert hashlib.sha256(pdf.content).hexdigest() == run.report_sha256
        assert (
            AuditEvent.objects.filter(action="download", document_sha256=run.report_sha256).count()
            == 2
        )
        as_(client, w["reviewer"])
        assert client.get(reverse("retention:report", args=[run.pk])).status_code == 404
        as_(client, w["other_admin"])
        assert client.get(reverse("retention:report", args=[run.pk])).status_code == 404


def test_bad_input_answers_400_and_writes_nothing(client, w):
    as_(client, w["admin"])
    periods = {"certifications": "3", "applications": "5", "bookings": "5", "fee_classes": "5",
               "care_records": "12", "evidence_files": "12", "claims": "5", "accounts": "12",
               "households": "12"}  # fmt: skip
    page = client.post(reverse("retention:schedule"), periods)
    assert page.status_code == 400
    assert "既定（終了した日の属する会計年度の終了後5年）より短く" in page.content.decode()
    assert not RetentionRule.objects.exists()
    page = client.post(
        reverse("retention:hold_set"), {"kind": "child", "target": "abc", "reason": ""}
    )
    assert page.status_code == 400
    assert not LegalHold.objects.exists()
