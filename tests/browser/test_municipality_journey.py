"""Issue 5's proof, at a desktop (1440x900) in Chromium, axe-core on every page: the ward's
administrator reviews an application, sends it back for a correction, sees the guardian's answer
arrive (the guardian answers through the service layer), certifies, downloads the 認定通知書,
then approves a facility's claim and exports it for the finance system (both downloads are
protected exports: the password is typed in again, the ZIP's password read off the screen)."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from tests import factories as f
from tests.billing.ward import submitted_claim
from tests.browser_support import check_accessibility, log_in
from tests.certification.conftest import answers, evidence
from tests.exports import support as exports
from tsuen.accounts.models import Role
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.certification import services
from tsuen.certification.models import Application, ApplicationStatus, Certification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _press(page, form_action: str):
    page.locator(f"form[action$='{form_action}'] button").first.click()
    page.wait_for_load_state()
    check_accessibility(page)


def test_the_ward_certifies_and_pays_on_a_desktop(desktop, live_server, tmp_path):
    ward = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    guardian = f.user(Role.GUARDIAN)
    draft = f.started_application(guardian, ward.pk)
    application = services.submit(guardian, draft.pk, answers(), evidence())
    claim, _manager, _child = submitted_claim(ward)
    log_in(desktop, admin, live_server, language="ja")

    # The queue, then the application.
    desktop.goto("/applications/staff/")
    check_accessibility(desktop)
    desktop.get_by_role("link", name=application.reference).click()
    desktop.wait_for_load_state()
    assert "新宿1-1-1" in desktop.content()
    check_accessibility(desktop)

    # Sent back for a correction, with a message the guardian sees.
    desktop.locator("textarea[name=message]").fill("住所の番地をご確認ください。")
    _press(desktop, "/correction/")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED

    # The guardian answers (through the service layer): the corrected address arrives.
    corrected = answers()
    corrected["address"]["address_line"] = "新宿2-2-2"
    services.submit(guardian, application.pk, corrected, evidence())
    desktop.reload()
    desktop.wait_for_load_state()
    assert "新宿2-2-2" in desktop.content()
    check_accessibility(desktop)

    # Certified: a certificate number, and the notice to download.
    _press(desktop, "/certify/")
    # The confirmation page: the child and its validity; nothing certified yet.
    assert desktop.locator("[data-testid=effect-children] li").count() == 1
    assert not Certification.objects.filter(application=application).exists()
    _press(desktop, "/certify/")
    certification = Certification.objects.get(application=application)
    assert certification.number.startswith("SJ") and certification.number in desktop.content()
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.CERTIFIED
    # The notice is a protected export: confirm the password, read the ZIP's password on the
    # screen, download and open the ZIP.
    button = desktop.locator(f"form[action$='/certifications/{certification.pk}/notice/'] button")
    name, data, _ = exports.in_browser(desktop, button.click, check=check_accessibility)
    assert name == f"certification-notice-{certification.pk}.pdf"
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert certification.number in text and "新宿区" in text

    # The facility's claim: read, approve, export.
    desktop.goto("/billing/ward/")
    check_accessibility(desktop)
    desktop.locator(f"main a[href='/billing/ward/claims/{claim.pk}/']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    _press(desktop, f"/billing/ward/claims/{claim.pk}/approve/")
    if Claim.objects.get(pk=claim.pk).status != ClaimStatus.APPROVED:
        # Flagged visits: the confirmation page lists them first.
        assert desktop.locator("[data-testid=effect-flagged]").count() == 1
        _press(desktop, f"/billing/ward/claims/{claim.pk}/approve/")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED

    desktop.goto(f"/billing/ward/?year={claim.year}&month={claim.month}")
    check_accessibility(desktop)
    desktop.fill("#export-year", str(claim.year))
    desktop.fill("#export-month", str(claim.month))
    # Within five minutes of the last re-authentication: no password asked this time.
    button = desktop.locator("form[action='/billing/ward/export/'] button[value=csv]")
    name, data, _ = exports.in_browser(desktop, button.click, check=check_accessibility)
    assert name == f"claims-{claim.year}{claim.month:02d}.csv"
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][2] == "ひかり保育園"
