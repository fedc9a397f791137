"""Issue 9 item 5: no clear column of a claim reveals an adder or a fee class, and a facility's
claim files show the amounts it is paid and collects, never the fee class or the household's
status by name (docs/data-inventory.md, "Claims"; docs/billing.md, "What a facility sees")."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.billing import scene as s
from tests.billing.ward import payments_officer
from tests.exports import support as exports
from tsuen.accounts.testing import login_with_second_factor
from tsuen.billing import services, services_review
from tsuen.billing.models import Claim, ClaimLine
from tsuen.core import clock
from tsuen.families.models import FeeClass

pytestmark = pytest.mark.django_db

CIPHERTEXT = re.compile(r"v\d+:[A-Za-z0-9+/]+=*")
ENCRYPTED = {
    "billing_claimline": {"adders", "bucket_shares", "reduction_reimbursed"},
    "billing_claim": {"total_benefit", "total_reduction_reimbursed"},
}


@pytest.fixture
def claim():
    return _make_claim()


def _make_claim():
    """Two children on one claim. 一花 (class 2) has a disability and needs medical care, her
    household is support-needed and on public assistance; 蒼 (class 1) is tax-exempt."""
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=400)
    manager = s.manager_of(facility)
    _, household, ichika = f.family(
        ward, given_name="一花", birth_date=dt.date(2024, 2, 1), disability=True, medical_care=True
    )
    household.support_needed = True
    household.save()
    s.fee_class(household, FeeClass.PUBLIC_ASSISTANCE)
    _, other_household, aoi = f.family(ward, given_name="蒼")
    s.fee_class(other_household, FeeClass.TAX_EXEMPT)
    s.visit(ichika, facility, dt.date(2026, 11, 12), dt.time(10), dt.time(11, 30))  # 90 min
    s.visit(aoi, facility, dt.date(2026, 11, 13), dt.time(10), dt.time(11))  # 60 min
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
    return claim, manager


def _revealing(claim: Claim) -> set[int]:
    """Every amount that would reveal an adder or a fee class, as the program computed it."""
    found = {claim.total_benefit, claim.total_reduction_reimbursed}
    for line in ClaimLine.objects.filter(claim=claim):
        found |= set(line.adders.values()) | {s["adders"] for s in line.bucket_shares}
        found |= {line.reduction_reimbursed, line.total, line.fee_net}
    return found - {0}


def _rows(table: str, where: str, pk: int) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE {where} = %s", [pk])  # noqa: S608
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_amounts_are_those_of_the_rules(claim):
    claim, _ = claim
    ichika, aoi = ClaimLine.objects.filter(claim=claim).order_by("date")
    assert ichika.adders == {"disability": 900, "medical_care": 3750, "support_needed_family": 900}
    assert (ichika.base_amount, ichika.fee_gross) == (2100, 600)
    assert (ichika.reduction_reimbursed, ichika.fee_net) == (450, 150)  # 300 yen/h, 1.5 h
    assert ichika.total == 2100 + 5550 + 450
    assert (aoi.base_amount, aoi.reduction_reimbursed, aoi.fee_net) == (1400, 240, 160)
    assert claim.total_benefit == 2100 + 5550 + 1400
    assert claim.total_reduction_reimbursed == 450 + 240


def test_no_clear_column_holds_an_amount_that_reveals_an_adder_or_a_fee_class(claim):
    claim, _ = claim
    revealing = _revealing(claim)
    assert {900, 3750, 450, 240, 150, 160, 9050, 690} <= revealing
    rows = {
        "billing_claimline": _rows("billing_claimline", "claim_id", claim.pk),
        "billing_claim": _rows("billing_claim", "id", claim.pk),
    }
    clear_amounts = {2100, 1400, 600, 400, 90, 60}  # what stays clear on purpose
    assert not revealing & clear_amounts, "the scene cannot tell clear from revealing values"
    found = []
    for table, table_rows in rows.items():
        assert table_rows
        for row in table_rows:
            for column, value in row.items():
                if column in ENCRYPTED[table]:
                    assert CIPHERTEXT.fullmatch(value), f"{table}.{column} is not ciphertext"
                    continue
                if column == "id" or column.endswith("_id"):
                    continue  # keys
                text = str(value)
                found += [
                    f"{table}.{column}={text!r} holds {amount}"
                    for amount in revealing
                    if re.search(rf"(?<!\d){amount}(?!\d)", text)
                ]
    assert not found, found
    # Neither the total nor the family's net fee has a column any more.
    assert "total" not in rows["billing_claimline"][0]
    assert "fee_net" not in rows["billing_claimline"][0]


# --- what a facility sees -------------------------------------------------------------------


def _forbidden() -> list[str]:
    """Fee classes and the support-needed status, by name, in both languages and as codes."""
    words = ["support_needed", "Support-needed", "要支援", "生活保護", "非課税", "所得割"]
    words += ["public_assistance", "tax_exempt", "low_income", "welfare", "Public assistance"]
    for fee_class in (
        FeeClass.PUBLIC_ASSISTANCE,
        FeeClass.TAX_EXEMPT,
        FeeClass.LOW_INCOME,
        FeeClass.SUPPORT_NEEDED,
    ):
        for language in ("ja", "en"):
            with translation.override(language):
                words.append(str(fee_class.label))
    return words


def _assert_tells_no_class(text: str, where: str) -> None:
    shown = [word for word in _forbidden() if word in text]
    assert not shown, f"{where} names {shown}"


def test_the_facility_claim_csv_shows_amounts_but_no_class_or_household_status(client, claim):
    claim, manager = claim
    login_with_second_factor(client, manager)
    _, data, _ = exports.exported(client, reverse("billing:claim_csv", args=[claim.pk]))
    text = data.decode("utf-8-sig")
    _assert_tells_no_class(text, "the claim CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    ichika = next(r for r in rows if "一花" in r["児童氏名"])
    # The child's care needs by name; the household's adder only as "other".
    assert ichika["障害児加算(円)"] == "900" and ichika["医療的ケア児加算(円)"] == "3750"
    assert ichika["その他の加算(円)"] == "900"
    assert not [h for h in rows[0] if "加算" in h and h not in services.CSV_HEADERS]
    assert {h for h in services.CSV_HEADERS if "加算" in h} == {
        "障害児加算(円)",
        "医療的ケア児加算(円)",
        "その他の加算(円)",
        "初回対応加算(円)",
    }
    # The amount to collect from the family and the reduction reimbursed: yes.
    assert (ichika["利用者負担額(円)"], ichika["利用者負担軽減額(円)"]) == ("150", "450")
    assert ichika["合計(円)"] == str(2100 + 5550 + 450)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_facility_claim_pdf_and_page_show_no_class_or_household_status(
    client, claim, tmp_path, language
):
    claim, manager = claim
    login_with_second_factor(client, manager)
    client.cookies["django_language"] = language
    _, data, _ = exports.exported(client, reverse("billing:claim_pdf", args=[claim.pk]))
    path = tmp_path / "claim.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    compact = re.sub(r"\s", "", text)  # the table wraps names and labels in its cells
    assert "一花" in compact and "3,750" in compact and "150" in compact
    _assert_tells_no_class(text, f"the claim PDF ({language})")
    _assert_tells_no_class(compact, f"the claim PDF ({language})")
    named = {"ja": ("障害児加算", "医療的ケア児加算", "その他の加算")}.get(
        language, ("Disabilityadder", "Medical-careadder", "Otheradder")
    )
    assert all(label in compact for label in named)
    page = client.get(reverse("billing:claim", args=[claim.pk])).content.decode()
    assert "一花" in page
    _assert_tells_no_class(page, f"the claim page ({language})")


def test_the_ward_finance_export_names_no_child_and_no_class(client, claim):
    claim, manager = claim
    services.submit_claim(
        manager, claim.pk, confirm_token=services.submit_effects(manager, claim.pk).token
    )
    officer = payments_officer(claim.paying_municipality)
    # Flagged visits ask first: confirm the flags shown.
    token = services_review.approval_token(services_review.review_page(officer, claim.pk))
    services_review.approve(officer, claim.pk, confirm_token=token)
    login_with_second_factor(client, officer)
    _, data, _ = exports.exported(
        client, reverse("billing:ward_export"), {"year": 2026, "month": 11, "format": "csv"}
    )
    text = data.decode("utf-8-sig")
    _assert_tells_no_class(text, "the finance export")
    assert "一花" not in text and "蒼" not in text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["請求額合計(円)"] == str(9050 + 690)


def test_the_ward_sums_encrypted_totals_in_python(claim):
    claim, manager = claim
    services.submit_claim(
        manager, claim.pk, confirm_token=services.submit_effects(manager, claim.pk).token
    )
    officer = payments_officer(claim.paying_municipality)
    page = services_review.received_claims(officer)
    assert (page.total_benefit, page.total_reduction_reimbursed) == (9050, 690)


def test_key_rotation_covers_the_encrypted_claim_amounts(settings):
    from django.core.management import call_command

    from tests.privacy.conftest import KEY1, KEY2

    settings.FIELD_ENCRYPTION_KEYS = KEY1
    claim, _ = _make_claim()
    before = {
        line.pk: (line.bucket_shares, line.reduction_reimbursed) for line in claim.lines.all()
    }
    totals = (claim.total_benefit, claim.total_reduction_reimbursed)
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY1},{KEY2}"
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    for name in (
        "billing.Claim.total_benefit",
        "billing.Claim.total_reduction_reimbursed",
        "billing.ClaimLine.bucket_shares",
        "billing.ClaimLine.reduction_reimbursed",
    ):
        assert f"{name}: re-encrypted" in out.getvalue(), name
    for table, rows in (
        ("billing_claimline", _rows("billing_claimline", "claim_id", claim.pk)),
        ("billing_claim", _rows("billing_claim", "id", claim.pk)),
    ):
        for row in rows:
            for column in ENCRYPTED[table]:
                assert row[column].startswith("v2:"), f"{table}.{column}"
    settings.FIELD_ENCRYPTION_KEYS = KEY2  # the old key dropped: everything still reads
    assert {
        line.pk: (line.bucket_shares, line.reduction_reimbursed) for line in claim.lines.all()
    } == before
    claim.refresh_from_db()
    assert (claim.total_benefit, claim.total_reduction_reimbursed) == totals
