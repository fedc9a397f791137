"""Issue 10: the ward's administrator edits the ward's letterhead and branding on a phone
(360x740, axe-core on every page): reached from the navigation, a bad phone number is refused
with a summary at the top (nothing saved), the preview shows western years and the ward's own
service name in an email subject, and after saving the page reads as saved. No page is wider
than the screen."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tests.walkthrough import shot
from tsuen.accounts.models import Role
from tsuen.core import clock
from tsuen.core.wareki import japanese_date
from tsuen.municipalities.models import Municipality

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page:
        yield page


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def _submit(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()
    fits(page)
    check_accessibility(page)


def test_the_administrator_brands_the_ward_on_a_phone(narrow, live_server):
    ward = f.municipality(code="13104", name="新宿区")
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward, full_name="管理 花子")
    f.second_factor(admin)
    log_in(narrow, admin, live_server, language="ja")
    today = clock.today()

    narrow.goto("/municipality/")
    narrow.locator("nav.sections a[href='/municipality/settings/']").click()
    narrow.wait_for_load_state()
    assert narrow.locator("nav.sections a[aria-current=page]").inner_text() == "区の設定"
    assert narrow.locator("#preview-date").inner_text() == japanese_date(today, era=True)
    fits(narrow)
    check_accessibility(narrow)

    narrow.fill("#id_head_title", "新宿区長")
    narrow.fill("#id_office_department", "子ども家庭部 保育課")
    narrow.fill("#id_office_address", "〒160-8484 東京都新宿区歌舞伎町1-4-1")
    narrow.fill("#id_office_phone", "03-5273")
    narrow.get_by_label(f"西暦（{japanese_date(today, era=False)}）").check()
    narrow.fill("#id_service_name", "しんじゅく こども通園")
    _submit(narrow, "設定を保存する")
    summary = narrow.locator("#settings-errors")
    assert summary.is_visible() and "10桁または11桁" in summary.inner_text()
    summary.locator("a").first.click()
    assert narrow.evaluate("location.hash") == "#id_office_phone"
    assert Municipality.objects.get(pk=ward.pk).head_title == ""  # nothing saved

    narrow.fill("#id_office_phone", "03-5273-4567")
    _submit(narrow, "プレビュー")
    assert "まだ保存されていません" in narrow.locator("#settings-preview").inner_text()
    assert narrow.locator("#preview-date").inner_text() == japanese_date(today, era=False)
    assert narrow.locator("#preview-subject").inner_text().startswith("【しんじゅく こども通園】")
    assert "電話番号: 03-5273-4567" in narrow.locator("#preview-contact").inner_text()
    assert Municipality.objects.get(pk=ward.pk).western_years is False

    _submit(narrow, "設定を保存する")
    assert "区の設定を保存しました。" in narrow.locator(".messages").inner_text()
    saved = Municipality.objects.get(pk=ward.pk)
    assert (saved.head, saved.office_phone, saved.western_years) == (
        "新宿区長",
        "03-5273-4567",
        True,
    )
    assert narrow.locator("#preview-date").inner_text() == japanese_date(today, era=False)
    assert narrow.locator("#preview-head").inner_text() == "新宿区長"
    shot(narrow, "ward", "settings")
