"""The documents a ward can send (issue 10): the claim PDF (title once, claimant with its
facility number and address, claim date, bank account, separated amounts, Japanese dates, a
DRAFT watermark before submission) and the family's statement (household, issue date, hours,
every month with visits). The PDFs are read as text with pdftotext, in Japanese."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.billing import scene as s
from tests.exports import support as exports
from tsuen.accounts.testing import login_with_second_factor
from tsuen.billing import services
from tsuen.billing.pdf import render_claim
from tsuen.core import clock

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\b20\d\d-\d\d(-\d\d)?\b")


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"
    with translation.override("ja"):
        yield


def pdf_text(data: bytes, tmp_path, name="doc.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def claimed():
    ward = s.ward()
    facility = f.facility(
        ward,
        name="ひかり保育園",
        fee_per_hour=300,
        postal_code="160-0022",
        address="東京都新宿区新宿2-2-2",
        facility_number=f"{ward.code[:2]}10400123",
        bank_name="みらい銀行",
        bank_branch="新宿支店",
        bank_account_type="ordinary",
        bank_account_number="1234567",
        bank_account_holder="ヒカリホイクエン",
    )
    manager = s.manager_of(facility)
    guardian, household, child = f.family(ward, given_name="請求")
    for day in (5, 6, 12, 13, 19, 20):
        s.visit(child, facility, dt.date(2026, 11, day), dt.time(9), dt.time(15))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
    return manager, guardian, household, child, claim


def claim_text(manager, claim, tmp_path) -> str:
    with clock.frozen(s.NOW):
        page = services.claim_page(manager, claim.pk)
        return pdf_text(render_claim(page), tmp_path, f"claim-{claim.pk}.pdf")


def test_the_claim_pdf_says_what_a_ward_needs_once_and_in_japanese(client, claimed, tmp_path):
    manager, _guardian, _household, child, claim = claimed
    login_with_second_factor(client, manager)
    _name, data, _zip = exports.exported(client, reverse("billing:claim_pdf", args=[claim.pk]))
    text = pdf_text(data, tmp_path)
    flat = re.sub(r"\s+", "", text)
    # The title once.
    assert text.count("請求書") == 1 and "請求書/請求" not in flat
    # The claimant: facility number, name, address; the addressee; the month in 和暦.
    assert claim.facility.facility_number in text and "ひかり保育園" in text
    assert "〒160-0022" in text and "東京都新宿区新宿2-2-2" in text
    assert f"{claim.paying_municipality}長" in flat and "令和8年11月分" in flat
    # The bank account.
    for part in ("みらい銀行", "新宿支店", "普通", "1234567", "ヒカリホイクエン"):
        assert part in text
    # Amounts with thousands separators; the total claimed appears as such.
    total = claim.total_benefit + claim.total_reduction_reimbursed
    assert total >= 1000 and f"{total:,}" in text
    assert f"{claim.total_benefit:,}".replace(",", "") not in re.sub(r"\d{1,3}(,\d{3})+", "", text)
    # Dates in Japanese style, never ISO; the visit dates in 和暦.
    assert "令和8年11月5日" in text and not ISO.search(text), ISO.search(text)
    assert child.given_name in text and "国の給付" in text and "東京都の事業" in text
    # Column labels that say what they hold (read without the layout: headers wrap).
    raw = subprocess.run(
        ["pdftotext", str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for label in ("児童氏名", "請求時間（分）", "加算（加算の種類: 円）", "請求額（円）"):
        assert re.sub(r"\s", "", label) in re.sub(r"\s", "", raw), label


def test_a_draft_claim_is_marked_and_a_submitted_one_is_dated_the_day_it_was_sent(
    claimed, tmp_path
):
    manager, _guardian, _household, _child, claim = claimed
    draft = claim_text(manager, claim, tmp_path)
    assert "下書き" in draft and "令和8年12月1日" in draft  # dated today (the draft)
    with clock.frozen(s.NOW + dt.timedelta(days=2)):
        services.submit_claim(
            manager, claim.pk, confirm_token=services.submit_effects(manager, claim.pk).token
        )
    sent = claim_text(manager, claim, tmp_path)
    assert "下書き" not in sent
    assert "令和8年12月3日" in sent and "提出済み" in sent


def test_a_claim_of_a_facility_without_number_or_account_says_what_is_missing(tmp_path):
    ward = s.ward()
    facility = f.facility(ward, facility_number="")
    manager = s.manager_of(facility)
    _guardian, _household, child = f.family(ward)
    s.visit(child, facility, dt.date(2026, 11, 5))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
    text = re.sub(r"\s+", "", claim_text(manager, claim, tmp_path))
    assert "区が登録" in text and "施設情報" in text


def test_the_statement_names_the_household_dates_itself_and_shows_hours(client, claimed, tmp_path):
    _manager, account, _household, child, _claim = claimed
    guardian = account.guardian
    client.force_login(account)
    with clock.frozen(s.NOW):
        page = client.get(reverse("billing:statement", args=[2026, 11]))
        pdf = client.get(reverse("billing:statement_pdf", args=[2026, 11]))
    body = page.content.decode()
    assert page.status_code == 200 and guardian.full_name in body
    assert "令和8年12月1日" in body and "6時間" in body and "36時間" in body
    text = pdf_text(pdf.content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert text.count("利用料明細書") == 1
    assert guardian.full_name.replace(" ", "") in flat and "令和8年11月" in flat
    assert "発行日" in flat and "令和8年12月1日" in flat
    # Hours, not minutes: six visits of six hours; a yen total with a separator.
    assert "6時間" in text and "36時間" in flat and "360" not in text
    assert "10,800" in text and not ISO.search(text), ISO.search(text)
    assert child.given_name in text


def test_every_month_with_visits_is_reachable_from_the_statement(client, claimed):
    _manager, account, _household, child, claim = claimed
    s.visit(child, claim.facility, dt.date(2026, 9, 8), dt.time(10), dt.time(12, 30))
    client.force_login(account)
    with clock.frozen(s.NOW):
        body = client.get(reverse("billing:statement", args=[2026, 12])).content.decode()
        september = client.get(reverse("billing:statement", args=[2026, 9])).content.decode()
    for month in (9, 11):
        assert f'href="{reverse("billing:statement", args=[2026, month])}"' in body
    assert 'href="' + reverse("billing:statement", args=[2026, 10]) + '"' not in body
    assert "2時間30分" in september
