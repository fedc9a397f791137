"""The report in a real browser: readable at 360 px and at desktop width, no WCAG A/AA
violation, the month picker and the PDF link work."""

from __future__ import annotations

import os

import pytest

from tests.browser_support import DESKTOP, _page, check_accessibility, log_in
from tests.opsreport import scene as s

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.parametrize(
    "viewport", [{"width": 360, "height": 740}, DESKTOP], ids=["360", "desktop"]
)
def test_the_report_fits_the_screen_and_its_links_work(
    browser, live_server, django_capture_on_commit_callbacks, viewport
):
    scene = s.build(django_capture_on_commit_callbacks)
    shot = os.environ.get("TSUEN_SCREENSHOT_DIR")
    width = viewport["width"]
    with _page(browser, live_server, viewport) as page:
        log_in(page, scene.auditor, live_server)
        page.goto(f"/operations/report/{scene.ward.pk}/?month=2026-11")
        assert page.locator("h1").inner_text() == "月次運用報告"
        assert "令和8年11月" in page.locator("main").inner_text()
        assert page.locator("#without-second-factor li").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        check_accessibility(page)
        if shot:
            page.screenshot(path=f"{shot}/opsreport-{width}.png", full_page=True)
        # The month picker: October, with nothing but its own figures.
        page.fill("#id_month", "2026-10")
        page.get_by_role("button", name="表示する").click()
        page.wait_for_url("**month=2026-10")
        assert "令和8年10月" in page.locator("main").inner_text()
        assert page.locator("#sign-ins dd").first.inner_text() == "1"  # 31 October 23:59
        with page.expect_download() as download:
            page.get_by_role("link", name="PDFでダウンロード").click()
        assert download.value.suggested_filename == (
            f"operations-report-{scene.ward.code}-2026-10.pdf"
        )
