"""The claim and statement pages, the CSV and PDF exports (protected ZIPs), through the HTTP
layer."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.billing import scene as s
from tests.exports import support as exports
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.billing import services
from tsuen.billing.models import Claim
from tsuen.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the pages and refusals in English (Japanese is the default; the
    catalogue test proves every string has its Japanese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def claimed(client):
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=300)
    manager = s.manager_of(facility)
    guardian, household, child = f.family(ward, given_name="請求")
    s.fee_class(household, "tax_exempt")
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(12))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
    return manager, guardian, child, claim


def test_generate_through_the_page_and_month_13_is_refused(client, claimed):
    manager, _, _, claim = claimed
    login_with_second_factor(client, manager)
    page = client.get(reverse("billing:claims"))
    assert page.status_code == 200
    bad = client.post(reverse("billing:generate"), {"year": 2026, "month": 13})
    assert bad.status_code == 400
    assert "between 1 and 12" in bad.content.decode()
    ok = client.post(reverse("billing:generate"), {"year": 2026, "month": 11})
    assert ok.status_code == 302
    assert Claim.objects.get().pk == claim.pk


def test_claim_page_shows_lines_and_totals_and_is_audited(
    client, claimed, django_capture_on_commit_callbacks
):
    manager, _, child, claim = claimed
    login_with_second_factor(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(reverse("billing:claim", args=[claim.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert child.full_name in body and "2800" in body and "480" in body
    assert AuditEvent.objects.filter(action="read").exists()


def test_csv_comes_as_a_protected_zip_with_bom_and_japanese_headers(
    client, claimed, django_capture_on_commit_callbacks
):
    manager, _, child, claim = claimed
    login_with_second_factor(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        _name, data, archive = exports.exported(
            client, reverse("billing:claim_csv", args=[claim.pk])
        )
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["請求年月", "版", "事業所番号", "施設", "請求先", "利用日"]
    # Japanese dates, as Excel in Japan writes them (the file is in Japanese).
    assert rows[1][0] == "2026年11月"
    assert rows[1][5:9] == ["2026/11/05", child.full_name, "1", "120"]
    assert rows[1][-1] == str(2800 + 480)
    assert rows[1][-3:-1] == ["120", "480"]  # to collect (600 - 480), reduction reimbursed
    export = AuditEvent.objects.get(action="export", object_type="billing.claim")
    assert export.document_sha256 == hashlib.sha256(archive).hexdigest()


def test_pdf_comes_as_a_protected_zip_and_has_the_japanese_text(client, claimed, tmp_path):
    manager, _, child, claim = claimed
    login_with_second_factor(client, manager)
    name, data, _ = exports.exported(client, reverse("billing:claim_pdf", args=[claim.pk]))
    assert name.endswith(".pdf") and data.startswith(b"%PDF")
    path = tmp_path / "claim.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # In English here (the Japanese document: test_documents.py); names stay in Japanese.
    assert "Claim for the day-care support programme" in text and "November 2026" in text
    assert child.given_name in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "IPAex" in fonts


def test_a_month_that_has_not_ended_is_refused_on_the_pages(client, claimed):
    """Issue 10: the page offers last month; the current month is refused with the reason, and
    a draft is not submitted before its month has ended."""
    manager, _, _, claim = claimed
    with clock.frozen(s.NOW):  # 1 December 2026
        login_with_second_factor(client, manager)
        page = client.get(reverse("billing:claims")).content.decode()
        assert 'name="month" value="11"' in page and 'name="year" value="2026"' in page
        bad = client.post(reverse("billing:generate"), {"year": 2026, "month": 12})
        assert bad.status_code == 400
        assert "has not ended yet" in bad.content.decode()
    assert Claim.objects.get().pk == claim.pk
    with clock.frozen(dt.datetime(2026, 11, 30, 20, 0, tzinfo=s.JST)):
        login_with_second_factor(client, manager)
        # Refused at the first step: no confirmation page asks about a claim that cannot go.
        refused = client.post(reverse("billing:submit", args=[claim.pk]), follow=True)
        assert "has not ended yet" in refused.content.decode()
        assert "billing/submit_confirm.html" not in [t.name for t in refused.templates]
    claim.refresh_from_db()
    assert claim.is_draft


def test_submit_and_correct_through_the_pages(client, claimed):
    manager, _, _, claim = claimed
    login_with_second_factor(client, manager)
    url = reverse("billing:submit", args=[claim.pk])
    # The first post only shows what will be sent; the claim stays a draft.
    check = client.post(url)
    assert check.status_code == 200
    effects = check.context["effects"]
    assert (effects.visits, effects.total) == (
        claim.lines.count(),
        claim.total_benefit + claim.total_reduction_reimbursed,
    )
    assert 'data-testid="effect-visits">' in check.content.decode()
    claim.refresh_from_db()
    assert claim.is_draft
    # A token of other effects is refused (400) and changes nothing.
    assert client.post(url, {"confirm": "stale"}).status_code == 400
    claim.refresh_from_db()
    assert claim.is_draft
    assert client.post(url, {"confirm": effects.token}).status_code == 302
    claim.refresh_from_db()
    assert not claim.is_draft
    again = client.post(url, follow=True)
    assert "already submitted" in again.content.decode()
    response = client.post(reverse("billing:correct", args=[claim.pk]))
    correction = Claim.objects.get(supersedes=claim)
    assert response["Location"] == reverse("billing:claim", args=[correction.pk])
    page = client.get(response["Location"]).content.decode()
    assert "No line differs" in page or "差" in page  # English or Japanese catalogue


def test_claim_of_another_facility_is_404(client, claimed):
    _, _, _, claim = claimed
    other = s.manager_of(f.facility(claim.facility.municipality))
    login_with_second_factor(client, other)
    assert client.get(reverse("billing:claim", args=[claim.pk])).status_code == 404
    assert exports.ask(client, reverse("billing:claim_csv", args=[claim.pk])).status_code == 404
    assert client.post(reverse("billing:submit", args=[claim.pk])).status_code == 404


def test_guardian_statement_page_and_pdf(client, claimed, tmp_path):
    _, guardian, child, _ = claimed
    client.force_login(guardian)
    page = client.get(reverse("billing:statement", args=[2026, 11]))
    body = page.content.decode()
    assert page.status_code == 200
    assert child.full_name in body and "600" in body and "480" in body and "120" in body
    bad = client.get(reverse("billing:statement", args=[2026, 13]))
    assert bad.status_code == 400 and "between 1 and 12" in bad.content.decode()
    pdf = client.get(reverse("billing:statement_pdf", args=[2026, 11]))
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Statement of fees" in text and child.given_name in text


def test_statement_shows_only_the_own_household(client, claimed):
    _, _, child, _ = claimed
    stranger, _, _ = f.family(child.household.municipality)
    client.force_login(stranger)
    page = client.get(reverse("billing:statement", args=[2026, 11]))
    assert page.status_code == 200
    assert child.full_name not in page.content.decode()


def _pdf_text(client, claim, tmp_path) -> str:
    _name, data, _ = exports.exported(client, reverse("billing:claim_pdf", args=[claim.pk]))
    path = tmp_path / "claim.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_no_claim_is_submitted_before_the_ward_registers_the_facility_number(
    client, claimed, tmp_path
):
    """A claim is an official request for payment: without the facility number (事業所番号) the
    draft and its PDF work (未登録, watermarked), submitting is refused and changes nothing."""
    manager, _, _, claim = claimed
    facility = claim.facility
    facility.facility_number = ""
    facility.save()
    message = "事業所番号が区に登録されていません。区の担当課にご連絡ください。"
    url = reverse("billing:submit", args=[claim.pk])
    with clock.frozen(s.NOW):
        login_with_second_factor(client, manager)
        client.cookies["django_language"] = "ja"
        page = client.get(reverse("billing:claim", args=[claim.pk])).content.decode()
        assert message in page and f'action="{url}"' not in page  # said before anyone tries
        refused = client.post(url, follow=True)  # no confirmation page asks about it
        assert message in refused.content.decode()
        assert "billing/submit_confirm.html" not in [t.name for t in refused.templates]
        token = services._submit_effects(claim).token  # a confirmation sent anyway
        refused = client.post(url, {"confirm": token}, follow=True)
        assert message in refused.content.decode()
        claim.refresh_from_db()
        assert claim.is_draft and claim.submitted_at is None and claim.submitted_by is None
        assert not AuditEvent.objects.filter(
            action="update", object_type="billing.claim", object_id=str(claim.pk)
        ).exists()
        text = _pdf_text(client, claim, tmp_path)  # the draft PDF still works
        assert "未登録" in text and "下書き" in text

        # Once the ward has registered it, the same draft goes.
        facility.facility_number = f"{facility.municipality.code[:2]}10400777"
        facility.save()
        check = client.post(url)
        assert check.status_code == 200 and message not in check.content.decode()
        assert client.post(url, {"confirm": check.context["effects"].token}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "submitted"
