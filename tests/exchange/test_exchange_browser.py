"""The import in a real browser at 360 px: the upload, the preview with its row errors, and
a clean file imported with the confirm button. No WCAG A/AA violation, nothing wider than the
phone (the rows table scrolls inside its own box)."""

from __future__ import annotations

import os

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tests.exchange.support import LONG, administrator
from tests.exchange.test_exchange import _file
from tsuen.certification.models import Certification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _preview(page, data: bytes, name: str) -> None:
    page.goto("/municipality/exchange/")
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.locator("form[action$='/import/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/municipality/exchange/import/" in page.url


def test_the_preview_fits_a_phone_and_the_import_is_confirmed(browser, live_server, tmp_path):
    ward = f.municipality()
    admin = administrator(ward)
    shot = os.environ.get("TSUEN_SCREENSHOT_DIR")
    rows = [
        {
            "certificate_number": "SJ2026-00001",
            "child_key": "C1",
            "household_key": "H1",
            "child_given_name": LONG[:50],
            "child_given_name_kana": "ジュゲムジュゲムゴコウノスリキレ",
        },
        {
            "certificate_number": "SJ2026-00002",
            "child_key": "C2",
            "household_key": "H1",
            "child_given_name": "𠮷乃",
            "child_given_name_kana": "ヨシノ",
        },
    ]
    broken = _file(
        ward,
        [
            *rows,
            {
                "certificate_number": "SJ2026-00002",
                "child_key": "C3",
                "household_key": "H2",
                "child_birth_date": "2025-02-30",
                "child_family_name_kana": "山田",
            },
        ],
    )
    with _page(browser, live_server, {"width": 360, "height": 740}) as page:
        log_in(page, admin, live_server)
        _preview(page, broken, "broken.csv")
        errors = page.locator("[data-testid=row-errors] li")
        assert errors.count() == 3
        assert page.locator(".confirm-form").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        check_accessibility(page)
        if shot:
            page.screenshot(path=f"{shot}/exchange-preview-errors-360.png", full_page=True)
        page.locator("form[action$='/discard/'] button").click()
        page.wait_for_load_state()

        _preview(page, _file(ward, rows), "clean.csv")
        assert page.locator("[data-testid=effect-certifications]").inner_text() == "2"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        check_accessibility(page)
        if shot:
            page.screenshot(path=f"{shot}/exchange-preview-360.png", full_page=True)
        page.locator(".confirm-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.url.endswith("/municipality/exchange/")
        if shot:
            page.screenshot(path=f"{shot}/exchange-imported-360.png", full_page=True)
    assert Certification.unscoped.filter(municipality=ward).count() == 2
