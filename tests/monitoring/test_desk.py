"""The ward's anomaly desk: the list (open / all) with each rule explained in Japanese, the
disposition (explained / escalated, with a note, once, audited), another ward's anomaly 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from tests.monitoring.support import SATURDAY, at, events
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.monitoring.detect import detect
from tsuen.monitoring.models import Anomaly, Disposition, Rule

pytestmark = pytest.mark.django_db

JA = {"accept-language": "ja"}


@pytest.fixture
def ward():
    return f.municipality()


def desk(client, ward, role=Role.MUNICIPAL_ADMIN):
    account = f.user(role, municipality=ward)
    f.second_factor(account)
    login_with_second_factor(client, account)
    return account


def night_reader(ward):
    """A reviewer who read three children on a Saturday: one anomaly (outside office hours)."""
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    events(3, ward=ward, actor=reviewer, when=at(SATURDAY, 22))
    detect(SATURDAY)
    return reviewer, Anomaly.unscoped.get(actor_id=reviewer.pk)


def dispose(client, anomaly, disposition="explained", note="災害対応の当番。課長に確認済み。"):
    url = reverse("monitoring:anomaly", args=[anomaly.pk])
    return client.post(url, {"disposition": disposition, "note": note}, headers=JA)


@pytest.mark.parametrize("role", [Role.MUNICIPAL_ADMIN, Role.AUDITOR])
def test_the_list_explains_each_anomaly_in_japanese(client, ward, role):
    reviewer, anomaly = night_reader(ward)
    desk(client, ward, role)

    response = client.get(reverse("monitoring:anomalies"), headers=JA)

    text = response.content.decode()
    assert response.status_code == 200
    assert "監査ログの異常" in text and "勤務時間外のアクセス" in text
    assert "21:00以降" in text and "土曜日、日曜日または祝日" in text
    assert reviewer.email in text and "令和8年11月21日" in text and "記録の数: 3" in text
    # Showing the list is itself recorded: which anomalies were shown, to whom.
    listed = AuditEvent.objects.filter(action="list", object_type="monitoring.anomaly")
    assert [e.object_id for e in listed] == [str(anomaly.pk)]


def test_the_list_shows_open_anomalies_unless_asked_for_all(client, ward):
    _, anomaly = night_reader(ward)
    desk(client, ward)
    assert dispose(client, anomaly).status_code == 302

    open_only = client.get(reverse("monitoring:anomalies"), headers=JA).content.decode()
    everything = client.get(reverse("monitoring:anomalies") + "?show=all", headers=JA)

    assert "対応を待つ異常はありません" in open_only and 'id="anomalies"' not in open_only
    assert "説明済み" in everything.content.decode()


def test_disposing_records_the_disposition_and_an_audit_event(client, ward):
    _, anomaly = night_reader(ward)
    admin = desk(client, ward)

    response = dispose(client, anomaly, "escalated", "本人に確認できない。調査へ。")

    assert response.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.disposition == Disposition.ESCALATED and anomaly.disposed_by == admin
    assert anomaly.note == "本人に確認できない。調査へ。" and anomaly.disposed_at is not None
    assert anomaly.disposed_figures == anomaly.figures
    [event] = AuditEvent.objects.filter(action="anomaly_disposed")
    assert event.actor_id == admin.pk and event.municipality_id == ward.pk
    assert event.object_type == "monitoring.anomaly" and event.object_id == str(anomaly.pk)
    assert event.field_names == ["disposed_by", "disposition", "note"]  # names, never values
    page = client.get(reverse("monitoring:anomaly", args=[anomaly.pk]), headers=JA)
    assert "エスカレーション済み" in page.content.decode() and "調査へ" in page.content.decode()


def test_a_disposition_is_final(client, ward):
    _, anomaly = night_reader(ward)
    desk(client, ward)
    dispose(client, anomaly, "explained", "当番")
    before = AuditEvent.objects.filter(action="anomaly_disposed").count()

    response = dispose(client, anomaly, "escalated", "やはり調査")

    assert response.status_code == 400
    assert "既に対応が記録されています" in response.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.disposition == Disposition.EXPLAINED and anomaly.note == "当番"
    assert AuditEvent.objects.filter(action="anomaly_disposed").count() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"disposition": "explained", "note": "   "}, "このフィールドは必須です"),
        ({"disposition": "open", "note": "x"}, "正しく選択してください"),
        ({"note": "x"}, "このフィールドは必須です"),
        ({"disposition": "escalated", "note": "あ" * 2001}, "2000"),
    ],
)
def test_bad_input_writes_nothing(client, ward, data, message):
    _, anomaly = night_reader(ward)
    desk(client, ward)

    response = client.post(reverse("monitoring:anomaly", args=[anomaly.pk]), data, headers=JA)

    assert response.status_code == 400 and message in response.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.disposition == Disposition.OPEN
    assert not AuditEvent.objects.filter(action="anomaly_disposed").exists()


def test_an_anomaly_about_oneself_is_disposed_of_by_someone_else(client, ward):
    admin = desk(client, ward)
    events(2, ward=ward, actor=admin, when=at(SATURDAY, 23))
    detect(SATURDAY)
    anomaly = Anomaly.unscoped.get(actor_id=admin.pk, rule=Rule.OFF_HOURS)

    page = client.get(reverse("monitoring:anomaly", args=[anomaly.pk]), headers=JA)
    response = dispose(client, anomaly)

    assert "あなた自身のアカウント" in page.content.decode()
    assert 'id="disposition-form"' not in page.content.decode()
    assert response.status_code == 400 and "あなた自身のアカウント" in response.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.is_open


def test_another_wards_anomaly_is_404(client, ward):
    other = f.municipality()
    _, anomaly = night_reader(other)
    desk(client, ward)

    assert client.get(reverse("monitoring:anomaly", args=[anomaly.pk])).status_code == 404
    assert dispose(client, anomaly).status_code == 404
    listed = client.get(reverse("monitoring:anomalies") + "?show=all", headers=JA)
    assert "区の監査ログに異常は見つかっていません" in listed.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.is_open


def test_an_hour_window_shows_its_hours(client, ward):
    locked = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    events(
        1, ward=ward, actor=None, when=at(SATURDAY, 14, 5), action="lockout",
        object_type="accounts.user", object_id=str(locked.pk),
        children=[],
    )  # fmt: skip
    detect(SATURDAY)
    desk(client, ward)
    text = client.get(reverse("monitoring:anomalies"), headers=JA).content.decode()
    assert "令和8年11月21日 14:00–15:00" in text and "ロックアウト" in text
