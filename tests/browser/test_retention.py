"""Issue 12 items 1-2 on a phone (360x740, axe-core): the ward administrator reaches the
retention screen from the navigation, sets a legal hold, asks for a purge run; a second
administrator approves and executes it and the report is listed. No page is wider than the
screen. Screenshots: var/screens/retention-*.png."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tests.retention import scene as s
from tsuen.core import clock
from tsuen.retention.models import LegalHold, PurgeRun, RunStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page:
        yield page


def fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"
    check_accessibility(page)
    page.screenshot(path=f"var/screens/retention-{name}.png", full_page=True)


def test_two_administrators_purge_on_a_phone(narrow, live_server):
    w = s.ward_scene()
    for key in ("admin", "second"):
        f.second_factor(w[key])
    with clock.frozen(s.TODAY, all_threads=True):
        log_in(narrow, w["admin"], live_server, language="ja")
        narrow.goto("/municipality/")
        narrow.locator("nav.sections a[href='/municipality/retention/']").click()
        narrow.wait_for_load_state()
        fits(narrow, "1-start")
        narrow.locator("summary", has_text="法的保全を設定する").click()
        narrow.select_option("#id_kind", "household")
        narrow.fill("#id_target", str(w["held"]["household"].pk))
        narrow.fill("#id_reason", "訴訟対応")
        narrow.get_by_role("button", name="保全を設定する").click()
        narrow.wait_for_load_state()
        assert LegalHold.objects.filter(household=w["held"]["household"]).exists()
        narrow.get_by_role("button", name="消去の実行を申請する").click()
        narrow.wait_for_load_state()
        assert "別の管理者の承認が必要です" in narrow.locator(".messages").inner_text()
        fits(narrow, "2-requested")

        narrow.context.clear_cookies()
        log_in(narrow, w["second"], live_server, language="ja")
        narrow.goto("/municipality/retention/")
        narrow.get_by_role("button", name="消去を承認する").click()
        narrow.wait_for_load_state()
        narrow.get_by_role("button", name="消去を実行する").click()
        narrow.wait_for_load_state()
        assert PurgeRun.objects.get().status == RunStatus.EXECUTED
        assert narrow.get_by_role("link", name="消去報告書をダウンロード（PDF）").is_visible()
        fits(narrow, "3-executed")
