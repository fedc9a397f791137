"""The ward's claim review on a desktop (1440x900): the list, a claim, a query, the facility's
correction (service layer), approval, payment and both exports (protected ZIPs); axe-core on
every page."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.billing.ward import payments_officer, submitted_claim
from tests.browser_support import check_accessibility, log_in
from tests.exports import support as exports
from tsuen.billing import services
from tsuen.billing.models import Claim, ClaimQuery, ClaimStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_review_query_approve_pay_and_export_on_a_desktop(desktop, live_server):
    claim, manager, child = submitted_claim()
    officer = payments_officer(claim.paying_municipality)
    log_in(desktop, officer, live_server)

    desktop.goto("/billing/ward/")
    check_accessibility(desktop)
    desktop.locator(f"main a[href='/billing/ward/claims/{claim.pk}/']").click()
    desktop.wait_for_load_state()
    assert child.full_name in desktop.content()
    check_accessibility(desktop)

    line = claim.lines.order_by("date").last()
    desktop.select_option("#query-line", str(line.pk))
    desktop.fill("textarea[name=message]", "利用時間を確認してください")
    desktop.locator(f"form[action='/billing/ward/claims/{claim.pk}/query/'] button").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    assert "利用時間を確認してください" in desktop.content()
    assert ClaimQuery.objects.get().line == line
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUERIED
    assert not desktop.locator(f"form[action='/billing/ward/claims/{claim.pk}/approve/']").count()

    # The facility answers with a correction (its own screens are tested in test_billing_browser).
    correction = services.correct_claim(manager, claim.pk)
    services.submit_claim(
        manager, correction.pk, confirm_token=services.submit_effects(manager, correction.pk).token
    )

    desktop.goto(f"/billing/ward/claims/{correction.pk}/")
    check_accessibility(desktop)
    desktop.locator(f"form[action='/billing/ward/claims/{correction.pk}/approve/'] button").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    desktop.locator(f"form[action='/billing/ward/claims/{correction.pk}/pay/'] button").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    correction.refresh_from_db()
    assert correction.status == ClaimStatus.PAID and correction.paid_at is not None

    desktop.goto("/billing/ward/?year=2026&month=11")
    check_accessibility(desktop)
    desktop.fill("#export-year", "2026")
    desktop.fill("#export-month", "11")
    assert desktop.get_by_label("UTF-8（BOM付き。Excelで開けます）").is_checked()  # the default
    desktop.get_by_label("Shift_JIS（Shift_JISしか読めないシステム向け）").check()
    # Both exports are protected: the password is asked once (then good for five minutes),
    # each ZIP's password is read off the screen.
    csv_button = desktop.locator("form[action='/billing/ward/export/'] button[value=csv]")
    name, data, first = exports.in_browser(desktop, csv_button.click, check=check_accessibility)
    assert name == "claims-202611-sjis.csv"
    rows = list(csv.reader(io.StringIO(data.decode("cp932"))))
    assert len(rows) == 2 and rows[1][2] == "ひかり保育園"
    desktop.get_by_role("link", name="戻る").click()
    desktop.wait_for_load_state()
    desktop.fill("#export-year", "2026")
    desktop.fill("#export-month", "11")
    xlsx_button = desktop.locator("form[action='/billing/ward/export/'] button[value=xlsx]")
    name, data, second = exports.in_browser(desktop, xlsx_button.click)
    assert name == "claims-202611.xlsx" and second != first
    values = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(values) == 3 and values[1][5] == correction.version == 2
    assert values[2][0] == "合計"  # the totals row
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUPERSEDED
