"""A protected export on a small phone (360 px wide) in Chromium, axe-core on every page: the
facility's manager downloads the claim CSV, confirms the password, reads and copies the ZIP's
password (large, on screen, no sideways scrolling), downloads and opens the ZIP; reloading the
page does not show the password again. Screenshots of each step are left in the test's
temporary folder (pytest --basetemp=... to keep them)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.billing import scene as s
from tests.browser_support import _page, check_accessibility, log_in
from tests.exports import support as exports
from tsuen.billing import services
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def small_phone(browser, live_server):
    with _page(browser, live_server, SMALL_PHONE) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        yield page


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL_PHONE["width"], f"{page.url} scrolls sideways ({width} px)"


def test_the_password_reads_and_copies_on_a_360_px_phone(small_phone, live_server, tmp_path):
    page = small_phone
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=300)
    manager = s.manager_of(facility)
    _, _, child = f.family(ward, given_name="小画面")
    s.visit(child, facility, dt.date(2026, 11, 5))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
    log_in(page, manager, live_server, language="ja")

    page.goto(f"/billing/claims/{claim.pk}/")
    check_accessibility(page)
    page.screenshot(path=tmp_path / "1-claim.png", full_page=True)
    page.get_by_role("button", name="CSV（Excel）をダウンロード").click()
    page.wait_for_load_state()
    assert "/accounts/reauthenticate/" in page.url
    check_accessibility(page)
    _fits(page)
    page.screenshot(path=tmp_path / "2-reauthenticate.png", full_page=True)
    page.locator("input[name=password]").fill(f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # The ready page: the password large enough to read, all of it on screen.
    check_accessibility(page)
    _fits(page)
    page.screenshot(path=tmp_path / "3-ready.png", full_page=True)
    shown = page.locator("#export-password")
    password = shown.inner_text().strip()
    box = shown.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
    size = float(shown.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
    assert size >= 24
    page.locator("#copy-password").click()
    page.locator("#copy-status", has_text="コピーしました").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == password

    with page.expect_download() as got:
        page.locator("#download").click()
    archive = got.value.path().read_bytes()
    [(name, data)] = exports.open_zip(archive, password).items()
    assert name.endswith(".csv") and "小画面" in data.decode("utf-8-sig")

    # Reloading shows no password (the re-authentication it came from is used up).
    page.reload()
    page.wait_for_load_state()
    assert page.locator("#export-password").count() == 0
    check_accessibility(page)
    page.screenshot(path=tmp_path / "4-reloaded.png", full_page=True)
