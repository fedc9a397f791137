"""The policy editor on a desktop (1440x900): open it, preview a lower cap, save; each page
checked with axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tests.municipalities.policy_world import booked_child, staff, ward_policy
from tsuen import rules
from tsuen.core import clock
from tsuen.municipalities.models import MunicipalPolicy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_administrator_previews_and_saves_a_new_version(desktop, live_server):
    today = clock.today()  # the live server's thread runs on the real clock
    first = rules.fiscal_year_bounds(rules.fiscal_year_of(today))[0]
    ward = f.municipality(name="新宿区")
    MunicipalPolicy.from_rules(ward, ward_policy(rules.fiscal_year_of(today)), first).save()
    admin = staff(ward)
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    days = [next_month + dt.timedelta(days=d) for d in (1, 8, 15)]
    kid = booked_child(ward, f.facility(ward), admin, days, given_name="一花")
    log_in(desktop, admin, live_server)

    desktop.goto("/municipality/policy/")
    check_accessibility(desktop)
    desktop.locator("a[href$='/municipality/policy/new/']").first.click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    desktop.locator("input[name='caps-0-hours']").fill("10")
    desktop.locator("button[name='preview']").click()
    desktop.wait_for_load_state()
    if rules.fiscal_year_of(next_month) == rules.fiscal_year_of(today):
        assert f"SJ2026-{kid.pk:05d}" in desktop.locator("#preview-over-cap").inner_text()
    check_accessibility(desktop)
    assert MunicipalPolicy.objects.filter(municipality=ward).count() == 1
    desktop.locator("button[name='save']").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    latest = MunicipalPolicy.objects.filter(municipality=ward).latest("created_at")
    assert latest.caps == [{"period": "month", "limit_minutes": 600}]
    assert latest.created_by == admin
    assert desktop.url.endswith("/municipality/policy/")
