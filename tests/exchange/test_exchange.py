"""Exchange files through HTTP as the ward's administrator: the protected export in both
encodings, the upload through tsuen.files, the preview with row-level errors, the confirmed
import (all or nothing, audited), and the round trip export -> import -> export, byte-equal."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.exchange.support import administrator, ward_with_records
from tests.exports import support as exports
from tests.files.samples import eicar, png
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.certification.models import Certification, CertificationChange, ChangeKind
from tsuen.core import clock
from tsuen.exchange import layout, services
from tsuen.exchange.models import ExchangeUpload
from tsuen.exports.models import ProtectedExport
from tsuen.families.models import Child, Guardian, Household, HouseholdFeeClass
from tsuen.files.models import Purpose, StoredFile

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="confirm" value="([0-9a-f]+)"')


@pytest.fixture(autouse=True)
def _english(settings):
    """The messages are asserted in English (the source language); Japanese pages are
    rendered by tests/test_japanese_pages.py and the browser test."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _export(client, encoding: str) -> bytes:
    name, content, _zip = exports.exported(
        client, reverse("exchange:export"), {"encoding": encoding}
    )
    assert name.endswith("-sjis.csv" if encoding == "cp932" else ".csv")
    return content


def _upload(client, data: bytes, encoding: str = "", name: str = "certifications.csv"):
    return client.post(
        reverse("exchange:upload"),
        {"file": SimpleUploadedFile(name, data), "encoding": encoding},
    )


def _preview(client, data: bytes, encoding: str = ""):
    response = _upload(client, data, encoding)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]), response["Location"]


def _commit(client, location: str, page) -> object:
    token = TOKEN.search(page.content.decode())
    assert token, "no confirm form on the preview"
    return client.post(location + "commit/", {"confirm": token.group(1)})


def _moved(data: bytes, src, dst, encoding: str) -> bytes:
    """The same file for ward ``dst``: the municipality code is what must differ."""
    return data.replace(f"\r\n{src.code},".encode(encoding), f"\r\n{dst.code},".encode(encoding))


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_export_import_into_an_empty_ward_and_export_again_byte_equal(client, encoding):
    ward, other = f.municipality(), f.municipality()
    admin, admin_b = administrator(ward), administrator(other)
    ward_with_records(ward, admin, outside_cp932=encoding == "utf-8")

    login_with_second_factor(client, admin)
    first = _export(client, encoding)
    text = first.decode("utf-8-sig" if encoding == "utf-8" else "cp932")
    assert first.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
    assert text.count("\r\n") == 6 and "第一本庁舎\n(3階)" in text  # newline kept, quoted
    assert '""都庁前""' in text and "'=SUM(A1)" in text and "''まこと" in text

    moved = _moved(first, ward, other, encoding)
    client.logout()
    login_with_second_factor(client, admin_b)
    page, location = _preview(client, moved)
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="row-errors"' not in body
    assert re.search(r'data-testid="effect-certifications">5<', body)
    assert re.search(r'data-testid="effect-children">4<', body)
    assert re.search(r'data-testid="effect-households">3<', body)
    done = _commit(client, location, page)
    assert done.status_code == 302

    again = _export(client, encoding)
    assert again == moved
    # The ward's own systems learn of the certifications moved in (the change feed of the API).
    moved_in = Certification.unscoped.filter(municipality=other)
    fed = CertificationChange.unscoped.filter(municipality=other, kind=ChangeKind.CERTIFIED)
    assert sorted(fed.values_list("certification_id", flat=True)) == sorted(
        moved_in.values_list("pk", flat=True)
    )
    # Nothing of the upload is left; the imported values are stored encrypted as usual.
    assert not StoredFile.unscoped.filter(purpose=Purpose.EXCHANGE_IMPORT).exists()
    assert not ExchangeUpload.unscoped.exists()
    imported = Child.unscoped.filter(household__municipality=other)
    assert sorted(c.disability for c in imported) == [False, False, False, True]
    assert sum(h.support_needed for h in Household.unscoped.filter(municipality=other)) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT support_needed FROM families_household WHERE municipality_id = %s", [other.pk]
        )
        assert all(raw.startswith("v") for (raw,) in cursor.fetchall())  # ciphertext


def test_characters_outside_shift_jis_refuse_that_export_naming_each_cell(client):
    ward = f.municipality()
    admin = administrator(ward)
    ward_with_records(ward, admin, outside_cp932=True)
    login_with_second_factor(client, admin)
    response = client.post(
        reverse("exchange:export"), {"encoding": "cp932", "request_id": exports.request_id()}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "guardian1_family_name" in body and "U+20BB7" in body
    assert not ProtectedExport.objects.exists()
    # UTF-8 holds every character.
    assert "𠮷田".encode() in _export(client, "utf-8")


def test_the_export_is_audited_with_the_zip_hash_row_by_row(client):
    ward = f.municipality()
    admin = administrator(ward)
    ward_with_records(ward, admin, outside_cp932=False)
    login_with_second_factor(client, admin)
    _export(client, "utf-8")
    export = ProtectedExport.objects.get()
    events = AuditEvent.objects.filter(action="export", document_sha256=export.sha256)
    assert events.filter(object_type="certification.certification").count() == 5
    assert events.filter(object_type="families.guardian").count() == 4
    assert events.filter(object_type="families.household").count() == 3


def _file(ward, rows: list[dict], encoding: str = "utf-8") -> bytes:
    base = {
        "municipality_code": ward.code,
        "valid_from": "2026-04-01",
        "valid_to": "2027-03-31",
        "status": "active",
        "certified_on": "2026-04-01",
        "child_family_name": "山田",
        "child_given_name": "花",
        "child_family_name_kana": "やまだ",
        "child_given_name_kana": "ﾊﾅ",
        "child_birth_date": "2025/1/2",
        "postal_code": "1600022",
        "prefecture": "東京都",
        "city": "新宿区",
        "address_line": "新宿1-1",
        "guardian1_family_name": "山田",
        "guardian1_given_name": "母",
        "guardian1_family_name_kana": "ヤマダ",
        "guardian1_given_name_kana": "ハハ",
        "guardian1_birth_date": "1990-01-01",
    }
    full = [dict.fromkeys(layout.COLUMNS, "") | base | row for row in rows]
    return layout.write(full, encoding)


def test_a_hand_made_file_is_normalised_and_imported(client):
    ward = f.municipality()
    admin = administrator(ward)
    data = _file(
        ward,
        [
            {"certificate_number": "A1", "child_key": "k1", "household_key": "h1"},
            {
                "certificate_number": "A2",
                "child_key": "k2",
                "household_key": "h1",
                "child_given_name": "空",
                "child_given_name_kana": "ソラ",
            },
        ],
    )
    login_with_second_factor(client, admin)
    page, location = _preview(client, data)
    assert _commit(client, location, page).status_code == 302
    child = Child.objects.get(certifications__number="A1")
    assert (child.family_name_kana, child.given_name_kana) == ("ヤマダ", "ハナ")
    assert child.birth_date == dt.date(2025, 1, 2) and child.sex == "other"
    assert child.household.postal_code == "160-0022"
    assert Guardian.objects.get(household=child.household).is_primary
    assert Household.objects.filter(municipality=ward).count() == 1
    assert (
        AuditEvent.objects.filter(
            action="create", object_type="certification.certification"
        ).count()
        == 2
    )


def test_row_level_errors_name_row_and_column_and_nothing_is_imported(client):
    ward = f.municipality()
    admin = administrator(ward)
    kid = f.child(f.household(ward))
    f.certification(kid, admin, number="TAKEN-1")
    data = _file(
        ward,
        [
            {"certificate_number": "B1", "child_key": "k1", "household_key": "h1"},  # row 2 fine
            {"certificate_number": "B1", "child_key": "k2", "household_key": "h2"},  # 3 twice
            {"certificate_number": "TAKEN-1", "child_key": "k3", "household_key": "h3"},  # 4 used
            {
                "certificate_number": "B4",
                "child_key": "k4",
                "household_key": "h4",
                "child_given_name_kana": "花子",
                "valid_to": "2026-13-01",
            },  # 5 kana, date
            {
                "certificate_number": "B5",
                "child_key": "k5",
                "household_key": "h1",
                "city": "渋谷区",
            },  # 6 differs from row 2's household
            {"certificate_number": "B6", "child_key": "k1", "household_key": "h1"},  # 7 2nd active
            {
                "certificate_number": "B7",
                "child_key": "k7",
                "household_key": "h7",
                "municipality_code": "99999",
                "status": "ended",
            },  # 8 other ward, end missing
            {
                "certificate_number": "B8",
                "child_key": "k8",
                "household_key": "h8",
                "fee_class_1": "none",
                "fee_class_1_from": "2026-04-01",
                "fee_class_2": "rich",
                "fee_class_2_from": "2026-05-01",
            },  # 9 open then overlap, bad
            {
                "certificate_number": "B9",
                "child_key": "k9",
                "household_key": "h9",
                "child_family_name": "長" * 51,
                "guardian2_phone": "03-1111-2222",
                "guardian1_email": "not-an-address",
            },  # 10 too long; guardian 2 half given; bad email
        ],
    )
    login_with_second_factor(client, admin)
    page, location = _preview(client, data)
    errors = re.findall(r"<li>(Row \d+(?:, [a-z0-9_]+)?:[^<]*)</li>", page.content.decode())
    found = {tuple(re.match(r"Row (\d+)(?:, ([a-z0-9_]+))?:", e).groups()) for e in errors}
    assert found >= {
        ("3", "certificate_number"),
        ("4", "certificate_number"),
        ("5", "child_given_name_kana"),
        ("5", "valid_to"),
        ("6", "city"),
        ("7", "status"),
        ("8", "municipality_code"),
        ("8", "ended_on"),
        ("8", "end_reason"),
        ("9", "fee_class_2"),
        ("9", "fee_class_2_from"),
        ("10", "child_family_name"),
        ("10", "guardian1_email"),
        ("10", "guardian2_family_name"),
    }, errors
    assert not any(e.startswith("Row 2,") for e in errors)
    assert 'name="confirm"' not in page.content.decode()
    refused = client.post(location + "commit/", {"confirm": "0" * 20})
    assert refused.status_code == 400
    assert not Certification.objects.filter(number__startswith="B").exists()
    assert not Household.objects.filter(municipality=ward).exclude(pk=kid.household_id).exists()


def test_the_import_asks_first_and_refuses_when_the_ward_changed(client):
    ward = f.municipality()
    admin = administrator(ward)
    data = _file(ward, [{"certificate_number": "C1", "child_key": "k", "household_key": "h"}])
    login_with_second_factor(client, admin)
    page, location = _preview(client, data)
    assert client.post(location + "commit/").status_code == 400  # not confirmed
    assert not Certification.objects.filter(number="C1").exists()
    # Meanwhile the number is given in the ward: the confirmed preview no longer holds.
    f.certification(f.child(f.household(ward)), admin, number="C1")
    again = _commit(client, location, page)
    assert again.status_code == 400
    assert re.search(r"<li>Row 2, certificate_number:[^<]*C1", again.content.decode())
    assert Certification.objects.filter(number="C1").count() == 1
    # Twice: once imported, the upload is gone.
    other = _file(ward, [{"certificate_number": "C2", "child_key": "k", "household_key": "h"}])
    page, location = _preview(client, other)
    assert _commit(client, location, page).status_code == 302
    assert client.post(location + "commit/", {"confirm": "x"}).status_code == 404


def test_shift_jis_without_bom_is_detected_and_the_encoding_can_be_chosen(client):
    ward = f.municipality()
    admin = administrator(ward)
    data = _file(
        ward, [{"certificate_number": "D1", "child_key": "k", "household_key": "h"}], "cp932"
    )
    login_with_second_factor(client, admin)
    page, location = _preview(client, data)
    assert 'data-testid="encoding">Shift_JIS<' in page.content.decode()
    wrong = client.post(location, {"encoding": "utf-8"})
    assert "cannot be read as UTF-8" in wrong.content.decode()
    assert 'name="confirm"' not in wrong.content.decode()
    right = client.post(location, {"encoding": "cp932"})
    assert _commit(client, location, right).status_code == 302
    assert Child.objects.get(certifications__number="D1").family_name == "山田"


def test_uploads_are_scanned_typed_and_limited(client):
    ward = f.municipality()
    admin = administrator(ward)
    login_with_second_factor(client, admin)
    infected = _upload(client, b"a,b\r\n" + eicar())
    assert infected.status_code == 400 and 'class="form-problems"' in infected.content.decode()
    image = _upload(client, png())
    assert image.status_code == 400 and "CSV" in image.content.decode()
    assert not StoredFile.objects.filter(purpose=Purpose.EXCHANGE_IMPORT).exists()
    assert AuditEvent.objects.filter(action="malware_found").count() == 1


def test_an_upload_is_deleted_when_discarded_or_expired_and_never_downloadable(client, settings):
    settings.EXCHANGE_UPLOAD_TTL_SECONDS = 60  # (the staff's idle timeout would end an hour)
    ward = f.municipality()
    admin = administrator(ward)
    data = _file(ward, [{"certificate_number": "E1", "child_key": "k", "household_key": "h"}])
    login_with_second_factor(client, admin)
    _page, location = _preview(client, data)
    stored = StoredFile.objects.get(purpose=Purpose.EXCHANGE_IMPORT)
    assert client.get(reverse("files:download", args=[stored.pk])).status_code == 404
    assert client.post(location + "discard/").status_code == 302
    assert not StoredFile.objects.filter(pk=stored.pk).exists()

    _page, reached = _preview(client, data)
    _page, location = _preview(client, data)
    later = clock.now() + services.upload_ttl() + dt.timedelta(seconds=1)
    with clock.frozen(later):
        # Reached after its time: 404, and deleted on the spot.
        assert client.get(reached).status_code == 404
        assert StoredFile.objects.filter(purpose=Purpose.EXCHANGE_IMPORT).count() == 1
        from django.core.management import call_command

        call_command("purge_exchange_uploads")
    assert not StoredFile.unscoped.filter(purpose=Purpose.EXCHANGE_IMPORT).exists()
    assert client.get(location).status_code == 404
    assert AuditEvent.objects.filter(action="delete", object_type="files.storedfile").count() == 3


def test_only_the_uploading_administrator_reaches_the_preview(client):
    ward = f.municipality()
    admin = administrator(ward)
    data = _file(ward, [{"certificate_number": "F1", "child_key": "k", "household_key": "h"}])
    login_with_second_factor(client, admin)
    _page, location = _preview(client, data)
    for role in (Role.MUNICIPAL_ADMIN, Role.MUNICIPAL_REVIEWER):
        stranger = f.user(role, municipality=ward)
        f.second_factor(stranger)
        client.logout()
        login_with_second_factor(client, stranger)
        assert client.get(location).status_code == 404
        assert client.post(location + "commit/", {"confirm": "x"}).status_code == 404
    assert ExchangeUpload.objects.count() == 1
    assert HouseholdFeeClass.objects.count() == 0
