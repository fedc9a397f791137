"""The backup status page: the last backup and drill, in Japanese dates, for the ward's
administrator and auditor and the national operator (the matrix checks everyone else gets 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.backups.models import BackupRun, Kind, Result

pytestmark = pytest.mark.django_db

JST = dt.timezone(dt.timedelta(hours=9))


def run(kind, result, day, hour):
    when = dt.datetime(2026, 11, day, hour, 5, tzinfo=JST)
    return BackupRun.objects.create(
        kind=kind, result=result, started_at=when - dt.timedelta(minutes=3), finished_at=when,
        command=f"{kind} /srv/backups/", operator="tsuen", database_vendor="postgresql",
        file_name="tsuen-x.tsuenbackup", size=123456, sha256="ab" * 32,
    )  # fmt: skip


def page(client, role):
    ward = f.municipality()
    account = f.user(role, municipality=None if role == Role.NATIONAL_OPERATOR else ward)
    f.second_factor(account)
    login_with_second_factor(client, account)
    return client.get(reverse("backups:status"), headers={"accept-language": "ja"})


@pytest.mark.parametrize("role", [Role.MUNICIPAL_ADMIN, Role.AUDITOR, Role.NATIONAL_OPERATOR])
def test_the_page_shows_the_last_backup_and_the_last_drill(client, role):
    run(Kind.BACKUP, Result.OK, 2, 1)
    run(Kind.BACKUP, Result.FAILED, 3, 1)
    run(Kind.DRILL, Result.OK, 1, 3)

    response = page(client, role)

    assert response.status_code == 200
    text = response.content.decode()
    summary = text[text.index('id="backup-summary"') : text.index("</dl>")]
    assert (
        "直近のバックアップ" in summary and "令和8年11月3日 01:05" in summary and "失敗" in summary
    )
    assert "直近の成功したバックアップ" in summary and "令和8年11月2日 01:05" in summary
    assert "直近の復元訓練" in summary and "令和8年11月1日 03:05" in summary and "成功" in summary
    assert "直近の成功した復元訓練" not in summary  # the last drill succeeded
    runs = text[text.index('id="backup-runs"') :]
    assert runs.count("<li>") == 3 and runs.count("ab" * 32) == 3


def test_with_nothing_recorded_the_page_says_so(client):
    response = page(client, Role.AUDITOR)
    assert response.status_code == 200
    assert "記録なし" in response.content.decode()
    assert "バックアップの記録はまだありません。" in response.content.decode()
