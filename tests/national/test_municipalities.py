"""Registering and editing municipalities: the code, the prefix, the policy that comes with a
new municipality, the audit trail, and the list's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tsuen import rules
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.municipalities.models import Municipality, MunicipalPolicy, policy_for

pytestmark = pytest.mark.django_db

NEW = reverse("national:municipality_new")


def _data(**kw):
    return {
        "code": "13104",
        "name": "新宿区",
        "name_kana": "しんじゅくく",
        "prefecture": "東京都",
        "certificate_prefix": "sj",
    } | kw


def test_a_new_municipality_starts_with_the_national_defaults_for_the_fiscal_year(
    operator_client, operator, django_capture_on_commit_callbacks
):
    with (
        clock.frozen(dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = operator_client.post(NEW, _data())
    assert response.status_code == 302
    muni = Municipality.objects.get(code="13104")
    assert (muni.name, muni.name_kana, muni.prefecture, muni.certificate_prefix) == (
        "新宿区", "シンジュクク", "東京都", "SJ",
    )  # fmt: skip
    [policy] = MunicipalPolicy.objects.filter(municipality=muni)
    assert (policy.fiscal_year, policy.effective_from) == (2026, dt.date(2026, 4, 1))
    assert policy.to_rules() == rules.national_default_policy(2026)
    assert policy.created_by == operator
    # The ward can start: a policy is in force on any day of the fiscal year.
    assert policy_for(muni.pk, dt.date(2027, 3, 31)) == policy
    events = AuditEvent.objects.filter(actor_id=operator.pk, action="create")
    assert {(e.object_type, e.municipality_id) for e in events} == {
        ("municipalities.municipality", muni.pk),
        ("municipalities.municipalpolicy", muni.pk),
    }
    created = events.get(object_type="municipalities.municipality")
    assert sorted(created.field_names) == [
        "certificate_prefix", "code", "name", "name_kana", "prefecture", "service_name",
        "western_years",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_data(code="1310"), "code", "Enter the five-digit municipality code."),
        (_data(code="13l04"), "code", "Enter the five-digit municipality code."),
        (_data(code="27100"), "code", "A municipality code in 東京都 starts with 13"),
        (_data(prefecture="東京"), "prefecture", "Select a valid choice."),
        (_data(name_kana="新宿"), "name_kana", "katakana or hiragana only"),
        (_data(certificate_prefix="S"), "certificate_prefix", "two to six capital letters"),
        (_data(certificate_prefix="S-J"), "certificate_prefix", "two to six capital letters"),
        (_data(name=""), "name", "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(
    operator_client, data, field, message
):
    response = operator_client.post(NEW, data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Municipality.objects.filter(code=data["code"]).exists()
    assert not AuditEvent.objects.filter(action="create").exists()


def test_a_duplicate_code_or_prefix_gets_a_clear_message(operator_client):
    f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    response = operator_client.post(NEW, _data(certificate_prefix="SK"))
    assert response.status_code == 400
    [error] = response.context["form"].errors["code"]
    assert error.startswith("Municipality code 13104 is already registered (東京都新宿区")
    response = operator_client.post(NEW, _data(code="13105"))
    assert response.status_code == 400
    assert (
        "The prefix SJ is already used by"
        in response.context["form"].errors["certificate_prefix"][0]
    )
    assert Municipality.objects.count() == 1
    assert not MunicipalPolicy.objects.exists()


def test_editing_records_the_changed_fields_only(
    operator_client, operator, django_capture_on_commit_callbacks
):
    muni = Municipality.objects.create(
        code="13104", name="新宿区", prefecture="東京都", certificate_prefix="SJ"
    )
    url = reverse("national:municipality_edit", args=[muni.pk])
    page = operator_client.get(url)
    assert page.status_code == 200 and 'value="13104"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, _data(name_kana="しんじゅく", certificate_prefix="SJ"))
    assert response.status_code == 302
    muni.refresh_from_db()
    assert muni.name_kana == "シンジュク"
    [event] = AuditEvent.objects.filter(actor_id=operator.pk, action="update")
    assert (event.object_type, event.field_names) == ("municipalities.municipality", ["name_kana"])
    # Keeping its own code and prefix is no duplicate.
    assert operator_client.post(url, _data(certificate_prefix="SJ")).status_code == 302


def test_the_list_filters_by_prefecture_code_and_name(operator_client):
    f.municipality(code="13104", name="新宿区", name_kana="シンジュクク")
    f.municipality(code="13113", name="渋谷区", name_kana="シブヤク")
    Municipality.objects.create(
        code="27100", name="大阪市", name_kana="オオサカシ", prefecture="大阪府"
    )
    url = reverse("national:municipalities")

    def codes(**query):
        response = operator_client.get(url, query)
        assert response.status_code == 200
        return [m.code for m in response.context["page_obj"].object_list]

    assert codes(prefecture="大阪府") == ["27100"]
    assert codes(code="1311") == ["13113"]
    assert codes(name="シブヤ") == ["13113"]
    assert codes(prefecture="東京都", name="新宿") == ["13104"]
