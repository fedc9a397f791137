"""The backup status page in a real browser: readable at 360 px, no WCAG A/AA violation."""

from __future__ import annotations

import os

import pytest

from tests import factories as f
from tests.backups.test_status_page import run
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.backups.models import Kind, Result

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_status_page_fits_a_phone_and_passes_axe(browser, live_server, tmp_path):
    run(Kind.BACKUP, Result.OK, 2, 1)
    run(Kind.BACKUP, Result.FAILED, 3, 1)
    run(Kind.DRILL, Result.OK, 1, 3)
    account = f.user(Role.AUDITOR, municipality=f.municipality())
    f.second_factor(account)
    with _page(browser, live_server, {"width": 360, "height": 740}) as page:
        log_in(page, account, live_server)
        page.goto("/operations/backups/")
        assert page.locator("h1").inner_text() == "バックアップと復元訓練"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        check_accessibility(page)
        shot = os.environ.get("TSUEN_SCREENSHOT_DIR")
        if shot:
            page.screenshot(path=f"{shot}/backups-status-360.png", full_page=True)
