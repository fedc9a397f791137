"""The report on screen and as a PDF: who may read it (the ward's administrator and auditor,
their own ward; the national operator any ward, counts only), what it shows, and that viewing
and downloading are audited."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from tests import factories as f
from tests.opsreport import scene as s
from tests.retention.test_report import pdf_text
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key
from tsuen.core import clock

pytestmark = pytest.mark.django_db

JA = {"accept-language": "ja"}


@pytest.fixture
def ward(django_capture_on_commit_callbacks):
    return s.build(django_capture_on_commit_callbacks)


@pytest.fixture
def frozen():
    with clock.frozen(s.TODAY):
        yield


def page(client, scene, month="2026-11", name="opsreport:report"):
    url = reverse(name, args=[scene.ward.pk])
    return client.get(url, {"month": month} if month else {}, headers=JA)


def squash(text: str) -> str:
    return "".join(text.split())


def operator(client):
    account = f.user(Role.NATIONAL_OPERATOR)
    f.second_factor(account)
    login_with_second_factor(client, account)
    return account


@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_the_ward_reads_its_november_with_the_names_of_staff_without_a_second_factor(
    client, ward, frozen, who
):
    reader = getattr(ward, who)
    login_with_second_factor(client, reader)
    response = page(client, ward)
    assert response.status_code == 200
    text = response.content.decode()
    assert "月次運用報告" in text and "令和8年11月" in text and "集計途中" not in text
    figures = response.context["r"]
    assert {name: getattr(figures, name) for name in s.EXPECTED} == s.EXPECTED
    assert "審査 未設定" in text and "保育 未設定" in text and ward.nameless.email in text
    assert "園長 鍵子" not in text  # a passkey is a second factor
    # Viewing is recorded: a read of the ward, by the reader, in the ward's chain.
    seen = AuditEvent.objects.filter(actor_id=reader.pk, action="read")
    assert list(seen.values_list("object_type", "object_id", "municipality_id")) == [
        ("municipalities.municipality", str(ward.ward.pk), ward.ward.pk)
    ]


def test_without_a_month_the_last_month_over_is_shown(client, ward, frozen):
    login_with_second_factor(client, ward.admin)
    response = page(client, ward, month=None)
    assert response.status_code == 200 and response.context["r"].month_code == "2026-11"


def test_a_month_not_over_is_marked_in_progress(client, ward, frozen):
    login_with_second_factor(client, ward.auditor)
    response = page(client, ward, month="2026-12")
    text = response.content.decode()
    assert response.status_code == 200 and "集計途中" in text
    assert response.context["r"].in_progress and response.context["next"] is None


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-13", "2026-11"), ("2027-01", "まだ始まっていません"), ("x", "2026-11")],
)
def test_a_month_that_cannot_be_reported_answers_400_with_the_reason(
    client, ward, frozen, month, message
):
    login_with_second_factor(client, ward.admin)
    before = AuditEvent.objects.count()
    for name in ("opsreport:report", "opsreport:pdf"):
        response = page(client, ward, month=month, name=name)
        assert response.status_code == 400 and message in response.content.decode()
    assert AuditEvent.objects.count() == before  # nothing was read, nothing recorded


def test_the_pdf_holds_every_figure_and_its_download_is_audited(client, ward, frozen, tmp_path):
    login_with_second_factor(client, ward.auditor)
    response = page(client, ward, name="opsreport:pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    name = f"operations-report-{ward.ward.code}-2026-11.pdf"
    assert name in response["Content-Disposition"]
    data = response.content
    text = pdf_text(data, tmp_path)
    assert "月 次 運 用 報 告" in text and ward.ward.name in text
    assert "令和8年11月（2026年11月）" in text
    flat = squash(text)  # lines wrapped in a table cell lose their space in pdftotext
    assert squash("令和8年11月1日（2026年11月1日） 〜 令和8年11月30日（2026年11月30日）") in flat
    for line in [
        "成功したログイン 3",
        "ログインしたアカウント 2",
        "失敗したログイン 2",
        "ロックアウト 1",
        "職員アカウント 6",
        "二要素認証なし 3",
        "アクセス拒否 3",
        "うち、職員ネットワーク（LGWAN）外からのログイン 2",
        "うち、職員ネットワーク（LGWAN）外からのセッション 1",
        "要配慮個人情報の閲覧 3",
        "要配慮個人情報を閲覧したアカウント 2",
        "エクスポート・ダウンロード 2",
        "エクスポート・ダウンロードした記録 3",
        "今月記録されたイベント 16",
        "監査キーのバージョン 1",
    ]:
        assert line in text, line
    assert "二要素認証あり（TOTP: 2） 3" in text
    assert "勤務時間外のアクセス 1 0 0 1" in text
    assert "合計 2 1 1 4" in text
    run = "実行済み 令和8年11月3日 10:00（2026年11月3日） "
    run += "令和8年11月4日 10:00（2026年11月4日）"
    assert squash(run + " 7") in flat
    assert squash("直近のバックアップ 令和8年11月30日 02:00（2026年11月30日） 失敗") in flat
    assert squash("直近の復元訓練 令和8年11月15日 03:00（2026年11月15日） 成功") in flat
    head = AuditChainHead.objects.get(key=chain_key(ward.ward.pk))
    assert f"連番 {head.seq}" in text and head.head_hash in flat
    assert "審査 未設定" in text and "保育 未設定" in text
    # Downloading is recorded with the PDF's SHA-256.
    download = AuditEvent.objects.get(
        actor_id=ward.auditor.pk, action="download", object_type="municipalities.municipality"
    )
    assert download.document_sha256 == hashlib.sha256(data).hexdigest()
    assert download.municipality_id == ward.ward.pk


def test_the_pdf_of_a_month_not_over_says_so(client, ward, frozen, tmp_path):
    login_with_second_factor(client, ward.admin)
    text = pdf_text(page(client, ward, month="2026-12", name="opsreport:pdf").content, tmp_path)
    assert "集計途中" in text and squash("令和8年12月4日 10:00（2026年12月4日）") in squash(text)
    pages = text.count("\f")  # pdftotext ends each page with a form feed
    assert pages >= 1 and text.count(f"{ward.ward.code} 2026-12 集計途中") == pages


def test_the_national_operator_reads_any_ward_s_counts_but_no_names(client, ward, frozen, tmp_path):
    account = operator(client)
    response = page(client, ward)
    text = response.content.decode()
    assert response.status_code == 200 and response.context["r"].staff.without == 3
    secrets = [ward.reviewer.email, ward.nameless.email, ward.facility_staff.email,
               "審査 未設定", "保育 未設定", "管理 一郎", "監査 二郎"]  # fmt: skip
    assert not [x for x in secrets if x in text]
    pdf = pdf_text(page(client, ward, name="opsreport:pdf").content, tmp_path)
    assert "二要素認証なし 3" in pdf and not [x for x in secrets if x in pdf]
    assert set(
        AuditEvent.objects.filter(actor_id=account.pk).values_list("action", "municipality_id")
    ) == {("read", ward.ward.pk), ("download", ward.ward.pk)}
    # The operator's list of municipalities links each ward's report.
    listing = client.get(reverse("national:municipalities")).content.decode()
    assert reverse("opsreport:report", args=[ward.ward.pk]) in listing


@pytest.mark.parametrize("role", [Role.MUNICIPAL_ADMIN, Role.AUDITOR])
def test_another_ward_s_administrator_and_auditor_get_404(client, ward, frozen, role):
    stranger = f.user(role, municipality=ward.other_ward)
    f.second_factor(stranger)
    login_with_second_factor(client, stranger)
    assert page(client, ward).status_code == 404
    assert page(client, ward, name="opsreport:pdf").status_code == 404
    # 404 before the month is looked at: a bad month tells them nothing either.
    assert page(client, ward, month="2026-13").status_code == 404


def test_the_ward_s_reviewer_a_facility_and_a_guardian_get_404(client, ward, frozen):
    guardian, _, _ = f.family(ward.ward)
    for account in (ward.reviewer, ward.facility_staff, guardian):
        if account.needs_second_factor:
            f.second_factor(account)
        login_with_second_factor(client, account)
        assert page(client, ward).status_code == 404, account.role
        assert page(client, ward, name="opsreport:pdf").status_code == 404, account.role
    assert not AuditEvent.objects.filter(
        action__in=["read", "download"], object_type="municipalities.municipality"
    ).exists()


def test_the_nav_of_the_administrator_and_auditor_links_the_report(client, ward, frozen):
    url = reverse("opsreport:report", args=[ward.ward.pk])
    for account in (ward.admin, ward.auditor):
        login_with_second_factor(client, account)
        assert f'href="{url}"' in client.get(reverse("portals:municipality")).content.decode()
