"""The ward's export for the finance system as the finance office needs it (issue 10): the
facility number, not an internal id; headers in the user's language; CSV in UTF-8 with BOM or
Shift_JIS (cp932); a workbook with typed dates and numbers, column widths, a frozen header and
a totals row. And the facility's claim CSV names the payers in words."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tests import factories as f
from tests.billing import scene as s
from tests.billing.ward import payments_officer, submitted_claim
from tests.exports import support as exports
from tsuen.accounts.testing import login_with_second_factor
from tsuen.billing import services, services_review
from tsuen.core import clock

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=s.JST)


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def paid():
    """Two November claims to one ward, approved; the second also paid. The second facility's
    name has a character Shift_JIS cannot hold (𠮷)."""
    claim, _manager, child = submitted_claim()
    ward = claim.paying_municipality
    facility = claim.facility
    facility.facility_number = f"{ward.code[:2]}10400123"
    facility.save()
    officer = payments_officer(ward)
    services_review.approve(officer, claim.pk)
    other = f.facility(ward, name="𠮷野保育園", facility_number=f"{ward.code[:2]}10400999")
    s.visit(child, other, dt.date(2026, 11, 20), dt.time(9), dt.time(15))
    with clock.frozen(s.NOW):
        [second] = services.generate_claims(s.manager_of(other), 2026, 11)
    second_manager = s.manager_of(other)
    services.submit_claim(
        second_manager,
        second.pk,
        confirm_token=services.submit_effects(second_manager, second.pk).token,
    )
    services_review.approve(officer, second.pk)
    services_review.mark_paid(officer, second.pk, dt.date(2026, 12, 10))
    for c in (claim, second):
        c.refresh_from_db()
    return claim, second, officer


def _export(client, language: str, **data):
    client.cookies["django_language"] = language
    form = {"year": 2026, "month": 11, "format": "csv"} | data
    return exports.exported(client, reverse("billing:ward_export"), form)


def test_the_csv_in_japanese_has_japanese_headers_facility_numbers_and_japanese_dates(client, paid):
    claim, second, officer = paid
    login_with_second_factor(client, officer)
    name, raw, _ = _export(client, "ja")
    assert name == "claims-202611.csv" and raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["請求年月", "事業所番号", "施設名"]
    assert "請求額合計(円)" in rows[0] and "支払日" in rows[0]
    by_number = {r[1]: r for r in rows[1:]}
    assert set(by_number) == {claim.facility.facility_number, second.facility.facility_number}
    paid_row = by_number[second.facility.facility_number]
    assert paid_row[0] == "2026年11月" and paid_row[2] == "𠮷野保育園"
    assert paid_row[6] == "支払済み" and paid_row[12] == "2026/12/10"
    assert str(claim.pk) not in {r[1] for r in rows[1:]}


def test_shift_jis_is_an_option_and_decodes_as_cp932(client, paid):
    _claim, second, officer = paid
    login_with_second_factor(client, officer)
    name, raw, _ = _export(client, "ja", encoding="cp932")
    assert name == "claims-202611-sjis.csv" and not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("cp932"))))
    assert rows[0][:3] == ["請求年月", "事業所番号", "施設名"]
    names = {r[2] for r in rows[1:]}
    # A character Shift_JIS cannot hold stands as 〓 (the geta mark), the rest as typed.
    assert names == {"ひかり保育園", "〓野保育園"}
    total = second.total_benefit + second.total_reduction_reimbursed
    assert [r[9] for r in rows[1:] if r[2] == "〓野保育園"] == [str(total)]


def test_a_bad_encoding_is_refused_with_400(client, paid):
    _claim, _second, officer = paid
    login_with_second_factor(client, officer)
    url = reverse("billing:ward_export")
    bad = {"year": 2026, "month": 11, "format": "csv", "encoding": "latin-1"}
    refused = exports.ask(client, url, bad)
    assert refused.status_code == 400


def test_the_workbook_has_typed_cells_widths_a_frozen_header_and_totals(client, paid):
    claim, second, officer = paid
    login_with_second_factor(client, officer)
    name, data, _ = _export(client, "ja", format="xlsx")
    assert name == "claims-202611.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("請求年月", "事業所番号")
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width >= 20
    assert sheet["A1"].font.bold
    body, totals = rows[1:-1], rows[-1]
    assert len(body) == 2
    paid_row = next(r for r in body if r[1] == second.facility.facility_number)
    assert paid_row[0] == dt.datetime(2026, 11, 1) and paid_row[12] == dt.datetime(2026, 12, 10)
    assert isinstance(paid_row[7], int) and paid_row[11] is not None
    assert sheet.cell(2, 8).number_format == "#,##0"
    assert sheet.cell(2, 13).number_format in ("yyyy/mm/dd", "yyyy/mm/dd;@")
    claims = (claim, second)
    assert totals[0] == "合計"
    assert totals[7:10] == (
        sum(c.total_benefit for c in claims),
        sum(c.total_reduction_reimbursed for c in claims),
        sum(c.total_benefit + c.total_reduction_reimbursed for c in claims),
    )


def test_the_headers_follow_the_users_language(client, paid):
    _claim, _second, officer = paid
    login_with_second_factor(client, officer)
    _name, raw, _ = _export(client, "en")
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[:3] == ["Claim month", "Facility number", "Facility"]
    with translation.override("ja"):
        assert services_review.export_headers()[1] == "事業所番号"


def test_the_claim_csv_names_the_payers_in_words(client, paid):
    _claim, second, officer = paid
    login_with_second_factor(client, officer)
    client.cookies["django_language"] = "ja"
    _name, raw, _ = exports.exported(client, reverse("billing:claim_csv", args=[second.pk]))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    funding = rows[0]["財源内訳"]
    assert "national" not in funding and ":" not in funding
    assert "分" in funding and ("国の給付" in funding or "東京都の事業" in funding)
