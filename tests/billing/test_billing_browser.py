"""The month's claim on the facility's tablet: generate, read, submit; axe-core on every page."""

import datetime as dt

import pytest

from tests import factories as f
from tests.billing import scene as s
from tests.browser_support import check_accessibility, log_in
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_generate_and_submit_last_months_claim_on_a_tablet(tablet, live_server):
    # The live server runs on the real clock: claim last month (FY2026 policy in the scene).
    last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=300)
    manager = s.manager_of(facility)
    _, household, child = f.family(ward, given_name="請求", given_name_kana="セイキュウ")
    s.fee_class(household, "tax_exempt")
    s.visit(child, facility, last_month.replace(day=5), dt.time(10), dt.time(12))
    s.visit(child, facility, last_month.replace(day=12), dt.time(9), dt.time(11, 30))

    log_in(tablet, manager, live_server)
    tablet.goto("/billing/")
    check_accessibility(tablet)
    tablet.fill("input[name=year]", str(last_month.year))
    tablet.fill("input[name=month]", str(last_month.month))
    tablet.locator("main form[action='/billing/generate/'] button[type=submit]").click()
    tablet.wait_for_load_state()
    check_accessibility(tablet)
    claim = Claim.objects.get()
    tablet.goto(f"/billing/claims/{claim.pk}/")
    check_accessibility(tablet)
    assert "請求" in tablet.content()  # the child's line is on the claim
    tablet.locator(f"main form[action='/billing/claims/{claim.pk}/submit/'] button").click()
    tablet.wait_for_load_state()
    # The confirmation: what will be sent; nothing is submitted yet.
    assert tablet.locator("[data-testid=effect-visits]").inner_text() == "2"
    check_accessibility(tablet)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    tablet.locator("main button.danger").click()
    tablet.wait_for_load_state()
    check_accessibility(tablet)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.lines.count() == 2
