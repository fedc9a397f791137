"""Issue 10: the ward's administrator keeps the ward's own letterhead and branding (the head's
title and contact section of notices, western or era years, the service name in email
subjects). Checked (phone, lengths, one line), saved in one transaction, audited by field name,
previewed without saving; nobody else edits it."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core import clock, dates
from tsuen.municipalities import services_settings as service
from tsuen.municipalities.models import Municipality
from tsuen.national import services as national

pytestmark = pytest.mark.django_db
URL = "/municipality/settings/"
WESTERN = Municipality(western_years=True)

GOOD = {
    "head_title": "新宿区長",
    "office_department": "子ども家庭部 保育課",
    "office_address": "〒160-8484 東京都新宿区歌舞伎町1-4-1",
    "office_phone": "０３－５２７３－４５６７",  # full width, as typed on a Japanese keyboard
    "service_name": "しんじゅく  こども通園",
    "western_years": "1",
}


@pytest.fixture
def ward():
    return f.municipality(name="新宿区")


@pytest.fixture
def admin(ward):
    account = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(account)
    return account


@pytest.fixture
def admin_client(client, admin):
    login_with_second_factor(client, admin)
    return client


def saved(ward) -> dict:
    row = Municipality.objects.get(pk=ward.pk)
    return {k: getattr(row, k) for k in service.LETTERHEAD_FIELDS}


def test_the_administrator_saves_the_settings_audited_by_field_name(
    admin_client, admin, ward, django_capture_on_commit_callbacks
):
    assert reverse("municipalities:settings") == URL
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, GOOD)
    assert response.status_code == 302 and response.url == URL
    assert saved(ward) == {
        "head_title": "新宿区長",
        "office_department": "子ども家庭部 保育課",
        "office_address": "〒160-8484 東京都新宿区歌舞伎町1-4-1",
        "office_phone": "03-5273-4567",
        "service_name": "しんじゅく こども通園",
        "western_years": True,
    }
    [event] = AuditEvent.objects.filter(action="update", object_type="municipalities.municipality")
    assert event.actor_id == admin.pk and event.municipality_id == ward.pk
    assert sorted(event.field_names) == sorted(service.LETTERHEAD_FIELDS)
    assert "新宿区長" not in str(event.__dict__)
    html = admin_client.get(URL).content.decode()
    assert "区の設定を保存しました。" in html
    assert 'value="03-5273-4567"' in html
    # The saved settings apply at once: the ward's own screens write western years.
    with dates.ward_style(WESTERN):
        assert f'id="preview-date">{dates.date_text(clock.today())}<' in html


def test_only_the_changed_fields_are_written_and_audited(
    admin_client, ward, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(URL, GOOD)
        admin_client.post(URL, GOOD | {"western_years": "0"})
        again = admin_client.post(URL, GOOD | {"western_years": "0"}, follow=True)
    events = AuditEvent.objects.filter(
        action="update", object_type="municipalities.municipality"
    ).order_by("pk")
    assert [e.field_names for e in events][1:] == [["western_years"]]  # nothing the third time
    assert "変更はありませんでした" in again.content.decode()
    assert saved(ward)["western_years"] is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("office_phone", "03-5273"),  # too few digits
        ("office_phone", "5273-0000-12"),  # not starting with 0
        ("office_phone", "03-5273-0000 内線123"),  # words
        ("head_title", "区" * 31),
        ("office_department", "課" * 101),
        ("office_address", "番地" * 101),
        ("service_name", "【しんじゅく】"),
        ("service_name", "名" * 61),
        ("office_address", "一行目\n二行目"),
    ],
)
def test_bad_input_answers_400_with_a_summary_and_changes_nothing(admin_client, ward, field, value):
    before = saved(ward)
    response = admin_client.post(URL, GOOD | {field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="settings-errors"' in html and f'href="#id_{field}"' in html
    assert saved(ward) == before
    assert not AuditEvent.objects.filter(action="update").exists()


def test_the_service_refuses_bad_values_itself(admin):
    with pytest.raises(service.SettingsRefused) as refused:
        service.update(admin, GOOD | {"office_phone": "0120", "service_name": "【名】"})
    assert set(refused.value.message_dict) == {"office_phone", "service_name"}


def test_the_preview_shows_the_chosen_style_and_name_and_saves_nothing(admin_client, ward):
    before = saved(ward)
    response = admin_client.post(URL, GOOD | {"preview": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    with dates.ward_style(WESTERN):
        assert f'id="preview-date">{dates.date_text(clock.today())}<' in html
    assert "【しんじゅく こども通園】" in html
    assert "電話番号: 03-5273-4567" in html
    assert saved(ward) == before
    # Without the choice, the saved settings: era years and the default service name.
    shown = admin_client.get(URL).content.decode()
    with dates.ward_style(None):
        assert f'id="preview-date">{dates.date_text(clock.today())}<' in shown
    assert f"【{ward.name} こども誰でも通園】" in shown


@pytest.mark.parametrize(
    "role", [Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.AUDITOR, Role.GUARDIAN]
)
def test_nobody_but_the_administrator_edits(client, ward, role):
    account = f.user(role, municipality=ward if role != Role.GUARDIAN else None)
    f.second_factor(account)
    login_with_second_factor(client, account)
    before = saved(ward)
    assert client.get(URL).status_code == 404
    assert client.post(URL, GOOD).status_code == 404
    assert saved(ward) == before


def test_an_administrator_edits_only_their_own_ward(ward, admin):
    other = f.municipality(name="中野区")
    other_admin = f.user(Role.MUNICIPAL_ADMIN, municipality=other)
    service.update(other_admin, GOOD)
    assert saved(other)["head_title"] == "新宿区長"
    assert saved(ward)["head_title"] == ""  # the other ward's administrator cannot reach it
    # There is no way to name another ward: the service always takes the user's own.
    with pytest.raises(Http404):
        service.settings_of(f.user(Role.NATIONAL_OPERATOR))


def test_the_national_form_writes_through_the_same_function(
    django_capture_on_commit_callbacks, ward
):
    operator = f.user(Role.NATIONAL_OPERATOR)
    data = {k: getattr(ward, k) for k in national.MUNICIPALITY_FIELDS}
    with django_capture_on_commit_callbacks(execute=True):
        national.update_municipality(operator, ward.pk, data | {"western_years": True})
    [event] = AuditEvent.objects.filter(action="update", object_type="municipalities.municipality")
    assert event.field_names == ["western_years"]
    assert saved(ward)["western_years"] is True
