"""The ward's fee-class and end pages on a desktop (1440x900), checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.certification.models import EndReason
from tsuen.families.models import FeeClass, HouseholdFeeClass

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _today():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


def test_fee_class_and_end_pages_on_a_desktop(desktop, live_server):
    ward = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(reviewer)
    today = dt.date.today()
    hh = f.household(ward)
    f.guardian(hh, f.user(Role.GUARDIAN))
    kid = f.child(hh, birth_date=today - dt.timedelta(days=400), given_name="一花")
    cert = f.certification(
        kid,
        reviewer,
        valid_from=today - dt.timedelta(days=10),
        valid_to=today.replace(year=today.year + 1),
    )
    log_in(desktop, reviewer, live_server)

    desktop.goto(f"/applications/staff/children/{kid.pk}/fee-class/")
    assert "一花" in desktop.content()
    check_accessibility(desktop)
    desktop.locator("select[name=fee_class]").select_option(FeeClass.TAX_EXEMPT)
    desktop.locator("input[name=valid_from]").fill(today.isoformat())
    desktop.locator("form:has(input[name=valid_from]) button").click()
    desktop.wait_for_load_state()
    assert [r.fee_class for r in HouseholdFeeClass.objects.filter(household=hh)] == [
        FeeClass.TAX_EXEMPT
    ]
    check_accessibility(desktop)

    desktop.goto(f"/applications/staff/children/{kid.pk}/end/")
    assert cert.number in desktop.content()
    check_accessibility(desktop)
    desktop.locator("select[name=reason]").select_option(EndReason.MOVED_OUT)
    desktop.locator("input[name=ended_on]").fill("1999-01-01")
    desktop.locator("form:has(input[name=ended_on]) button").click()
    desktop.wait_for_load_state()
    assert desktop.locator("[role=alert]").count() == 1  # outside the validity: refused
    check_accessibility(desktop)
