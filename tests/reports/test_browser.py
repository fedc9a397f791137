"""The ward's dashboard on a desktop (1440x900) with a small ward's data, checked with
axe-core (WCAG 2.1 A/AA): for a case worker (with the person lists) and for the auditor."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests import wardsize
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _today():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


@pytest.mark.parametrize("role", [Role.MUNICIPAL_REVIEWER, Role.AUDITOR])
def test_the_dashboard_on_a_desktop(desktop, live_server, role):
    ward = wardsize.build(clock.today(), children=20, facilities=4, days=90, waiting=3)
    user = f.user(role, municipality=ward.municipality)
    f.second_factor(user)
    log_in(desktop, user, live_server)

    desktop.goto("/municipality/")
    desktop.locator("main a[href='/municipality/dashboard/']").click()
    desktop.wait_for_load_state()
    assert desktop.locator("svg[role=img]").count() == 3
    assert desktop.locator("#trend-visits rect").count() == 12
    assert desktop.locator("#facility-use tbody tr").count() == 4
    outreach = desktop.locator("#outreach")
    assert outreach.count() == (1 if role == Role.MUNICIPAL_REVIEWER else 0)
    check_accessibility(desktop)

    # Sort the facility table by the share filled, through the column's link.
    desktop.locator("#facility-use thead a[href$='sort=filled']").click()
    desktop.wait_for_load_state()
    assert desktop.locator("#facility-use th[aria-sort=descending]").count() == 1
    check_accessibility(desktop)
