"""Issue 12 item 6: the ward's administrator makes the ward read-only on a phone (360x740,
axe-core on every page): reached from the menu, the first press shows what the switch will do
and changes nothing, the confirmation pulls it, the banner shows on every page, and the release
takes it away. No page is wider than the screen."""

from __future__ import annotations

import os

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.incident.models import EmergencySwitch
from tsuen.municipalities.models import Municipality

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page:
        yield page


def settle(page) -> None:
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"
    check_accessibility(page)
    if folder := os.environ.get("TSUEN_SHOTS"):  # for looking at the pages by eye
        name = page.url.rstrip("/").rsplit("/", 1)[-1] or "index"
        page.screenshot(path=f"{folder}/incident-{name}.png", full_page=True)


def test_the_administrator_asks_first_then_sets_the_ward_read_only(narrow, live_server):
    ward = f.municipality(name="新宿区")
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    log_in(narrow, admin, live_server, language="ja")

    narrow.goto(live_server.url + "/municipality/")
    narrow.locator("nav.sections a[href='/incident/']").click()
    settle(narrow)
    assert narrow.locator("h1").inner_text() == "緊急停止スイッチ"

    form = narrow.locator("section", has=narrow.locator("#read_only-h"))
    form.locator("textarea").fill("不正な書き込みの疑い")
    form.get_by_role("button", name="実行内容を確認する").click()
    settle(narrow)
    effects = narrow.locator("#effects").inner_text()
    assert "読み取り専用：" in effects and "不正な書き込みの疑い" in effects
    assert not EmergencySwitch.objects.exists()  # asking changed nothing

    narrow.get_by_role("button", name="スイッチを実行する").click()
    settle(narrow)
    assert Municipality.objects.get(pk=ward.pk).read_only
    assert "読み取り専用" in narrow.locator("#emergency-banner").inner_text()
    assert "読み取り専用" in narrow.locator("#live-switches").inner_text()

    narrow.fill("#live-switches input[name=reason]", "原因を特定し対処済み")
    narrow.get_by_role("button", name="解除する").click()
    settle(narrow)
    assert narrow.locator("#emergency-banner").count() == 0
    assert not Municipality.objects.get(pk=ward.pk).read_only
