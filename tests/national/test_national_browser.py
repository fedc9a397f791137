"""The national operator's screens on a desktop (1440x900), checked with axe-core: register a
municipality, edit a fiscal year's rates, read the statistics."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.municipalities.models import Municipality, MunicipalPolicy
from tsuen.national.models import NationalRateTable

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_register_a_municipality_edit_rates_and_read_statistics(desktop, live_server):
    f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    operator = f.user(Role.NATIONAL_OPERATOR)
    f.second_factor(operator)
    log_in(desktop, operator, live_server)

    desktop.goto("/national/")
    check_accessibility(desktop)
    desktop.locator("nav.sections a[href='/national/municipalities/']").click()
    desktop.wait_for_load_state()
    assert desktop.locator("#municipalities td", has_text="13104").count() == 1
    check_accessibility(desktop)

    desktop.goto("/national/municipalities/new/")
    check_accessibility(desktop)
    desktop.locator("input[name=code]").fill("13104")  # taken: refused with a message
    desktop.locator("input[name=name]").fill("中野区")
    desktop.locator("input[name=name_kana]").fill("なかのく")
    desktop.locator("select[name=prefecture]").select_option("東京都")
    desktop.locator("input[name=certificate_prefix]").fill("NK")
    desktop.locator("main form button[type=submit]").click()
    desktop.wait_for_load_state()
    assert desktop.locator("#id_code-errors").count() == 1
    check_accessibility(desktop)
    desktop.locator("input[name=code]").fill("13114")
    desktop.locator("main form button[type=submit]").click()
    desktop.wait_for_load_state()
    assert desktop.locator("#municipalities td", has_text="13114").count() == 1
    created = Municipality.objects.get(code="13114")
    assert created.name_kana == "ナカノク"
    assert MunicipalPolicy.unscoped.filter(municipality=created).count() == 1

    desktop.locator("nav.sections a[href='/national/rates/']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    desktop.locator("#rate-tables a[href='/national/rates/2026/']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    desktop.locator("input[name=base_0]").fill("1800")
    desktop.locator("input[name=first_visit_1]").fill("")  # one of three: refused
    desktop.locator("main form button[type=submit]").click()
    desktop.wait_for_load_state()
    assert desktop.locator("[role=alert]").count() == 1
    assert not NationalRateTable.objects.exists()
    check_accessibility(desktop)
    desktop.locator("input[name=first_visit_1]").fill("1400")
    desktop.locator("main form button[type=submit]").click()
    desktop.wait_for_load_state()
    assert NationalRateTable.objects.get(fiscal_year=2026).base_0 == 1800

    desktop.locator("nav.sections a[href='/national/statistics/']").click()
    desktop.wait_for_load_state()
    assert desktop.locator("#stats-municipalities tbody tr").count() == 2
    check_accessibility(desktop)
