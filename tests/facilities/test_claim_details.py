"""What a claim needs from the facility (issue 10): the official facility number
(事業所番号) that the ward registers, and the bank account (振込先) that the facility's manager
keeps. Both are checked in the service, audited, and refused kindly (nothing written)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.facilities.test_ward import valid
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.facilities import services_staff as staff
from tsuen.facilities import services_ward as ward_services
from tsuen.facilities.models import Facility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def admin(ward):
    account = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(account)
    return account


def number(ward, rest="10400123") -> str:
    return ward.code[:2] + rest


def test_the_ward_registers_the_facility_number_typed_full_width(
    admin, ward, django_capture_on_commit_callbacks
):
    typed = number(ward).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    with django_capture_on_commit_callbacks(execute=True):
        facility = ward_services.register_facility(admin, valid(facility_number=f" {typed} "))
    facility.refresh_from_db()
    assert facility.facility_number == number(ward)
    event = AuditEvent.objects.get(action="create", object_id=str(facility.pk))
    assert "facility_number" in event.field_names


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("123456789", "Enter the facility number (事業所番号) as ten digits."),
        ("12345678901", "Enter the facility number (事業所番号) as ten digits."),
        ("13-1040-01", "Enter the facility number (事業所番号) as ten digits."),
        ("0110400123", "The facility number must begin with the prefecture's code"),
    ],
)
def test_a_bad_facility_number_is_refused_and_nothing_is_written(admin, typed, message):
    with pytest.raises(staff.StaffRefused) as refused:
        ward_services.register_facility(admin, valid(facility_number=typed))
    assert any(m.startswith(message) for m in refused.value.messages)
    assert not Facility.objects.exists() and not AuditEvent.objects.exists()


def test_two_facilities_cannot_share_a_number_and_the_edit_page_says_so(client, admin, ward):
    first = ward_services.register_facility(admin, valid(facility_number=number(ward)))
    second = ward_services.register_facility(admin, valid(name="ほし保育園"))
    with pytest.raises(staff.StaffRefused) as refused:
        ward_services.update_facility(admin, second.pk, valid(facility_number=number(ward)))
    assert "Another facility already has this facility number." in refused.value.messages
    # Keeping its own number is no clash.
    ward_services.update_facility(admin, first.pk, valid(facility_number=number(ward)))
    login_with_second_factor(client, admin)
    page = client.get(reverse("facilities:ward_facility", args=[first.pk]))
    assert number(ward) in page.content.decode()


BANK = {
    "bank_name": "みらい銀行",
    "bank_branch": "新宿支店",
    "bank_account_type": "ordinary",
    "bank_account_number": "１２３４５６７",
    "bank_account_holder": "ﾋｶﾘﾎｲｸｴﾝ",
}


def test_the_manager_saves_the_bank_account_on_the_profile_page_audited(
    client, fac, manager, django_capture_on_commit_callbacks
):
    login_with_second_factor(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("facilities:staff_profile"), BANK | {"action": "bank"})
    assert done.status_code == 302
    fac.refresh_from_db()
    assert (fac.bank_account_number, fac.bank_account_holder) == ("1234567", "ヒカリホイクエン")
    event = AuditEvent.objects.get(action="update", object_id=str(fac.pk))
    assert set(event.field_names) == set(BANK)
    page = client.get(reverse("facilities:staff_profile")).content.decode()
    assert "ヒカリホイクエン" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bank_branch": ""}, "Enter every part of the bank account"),
        ({"bank_account_number": "123456"}, "Enter the account number as seven digits."),
        ({"bank_account_holder": "ひかり保育園"}, "Write the account holder in katakana"),
    ],
)
def test_a_bad_bank_account_is_refused_with_400_and_nothing_is_written(
    client, fac, manager, changes, message
):
    login_with_second_factor(client, manager)
    refused = client.post(reverse("facilities:staff_profile"), BANK | changes | {"action": "bank"})
    assert refused.status_code == 400 and message in refused.content.decode()
    fac.refresh_from_db()
    assert not fac.bank_account_number and not AuditEvent.objects.filter(action="update")


def test_only_the_manager_keeps_the_bank_account(fac):
    worker = f.user(Role.FACILITY_STAFF, facility=fac)
    with pytest.raises(Exception) as refused:
        staff.update_bank_account(worker, {k: v for k, v in BANK.items()})
    assert refused.type.__name__ == "Http404"
    fac.refresh_from_db()
    assert not fac.bank_name
