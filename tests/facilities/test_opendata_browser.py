"""Open data in a real browser at 360 px: the public page, and the ward's import from upload
to preview (a row problem shown with its row and column) to confirmation; every page checked
with axe-core (WCAG 2.1 A/AA) and no wider than the phone."""

from __future__ import annotations

import csv
import io
import os

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.facilities import opendata
from tsuen.facilities.models import Facility

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _frozen_clock():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


def _fits(page, name):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    check_accessibility(page)
    shot = os.environ.get("TSUEN_SCREENSHOT_DIR")
    if shot:
        page.screenshot(path=f"{shot}/{name}-360.png", full_page=True)


def _csv(path, ward, rows):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(opendata.HEADER)
    for changes in rows:
        row = (
            dict.fromkeys(opendata.HEADER, "")
            | {
                "全国地方公共団体コード": opendata.full_code(ward.code),
                "名称_カナ": "アオゾラホイクシツ",
                "種別": "乳児等通園支援事業（一般型）",
                "所在地_連結表記": "東京都新宿区西新宿1-1-1",
                "緯度": "35.6895",
                "経度": "139.6917",
                "電話番号": "03-9876-5432",
                "郵便番号": "160-0023",
                "受入年齢": "1歳児・2歳児",
                "開始時間": "09:00",
                "終了時間": "16:00",
                "柔軟利用": "有",
            }
            | changes
        )
        writer.writerow([row[c] for c in opendata.HEADER])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def test_open_data_page_and_the_import_at_360_px(browser, live_server, tmp_path):
    ward = f.municipality(name="新宿区")
    known = f.facility(
        ward, name="ひだまり保育園", name_kana="ヒダマリホイクエン", phone="03-1234-5678"
    )
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    with _page(browser, live_server, NARROW) as page:
        page.goto("/facilities/")
        page.locator("#open-data-link a").click()
        page.wait_for_load_state()
        assert page.url.endswith("/open-data/")
        assert page.locator("#licence").is_visible()
        assert (
            opendata.full_code(ward.code) in page.locator("#open-data-municipalities").inner_text()
        )
        _fits(page, "open-data")

        log_in(page, admin, live_server)
        page.goto("/facilities/ward/")
        page.locator("a[href='/facilities/ward/import/']").click()
        page.wait_for_load_state()
        _fits(page, "import-upload")
        bad = _csv(
            tmp_path / "bad.csv",
            ward,
            [
                {"ID": "N-1", "名称": "あおぞら保育室"},
                {"ID": "N-2", "名称": "そよかぜ園", "緯度": "135"},
            ],
        )
        page.set_input_files("#id_file", str(bad))
        page.locator("main form button[type='submit']").click()
        page.wait_for_load_state()
        problems = page.locator("#import-problems tbody tr")
        assert problems.count() == 1, page.locator("#import-problems").inner_text()
        assert problems.first.locator("td").nth(0).inner_text() == "3"
        assert problems.first.locator("td").nth(1).inner_text() == "緯度"
        assert (
            page.locator("button", has_text="Import").count() == 0
            or not page.locator("form[action$='/import/confirm/']").count()
        )
        _fits(page, "import-preview-problems")

        page.goto("/facilities/ward/import/")
        good = _csv(
            tmp_path / "good.csv",
            ward,
            [
                {"ID": "N-1", "名称": "あおぞら保育室"},
                {
                    "ID": f"{known.pk:06d}",
                    "名称": "ひだまり保育園",
                    "名称_カナ": "ヒダマリホイクエン",
                },
            ],
        )
        page.set_input_files("#id_file", str(good))
        page.locator("main form button[type='submit']").click()
        page.wait_for_load_state()
        assert page.locator("#import-creates li").count() == 1
        assert "03-9876-5432" in page.locator("#import-updates").inner_text()
        _fits(page, "import-preview")
        page.locator("form[action$='/import/confirm/'] button").click()
        page.wait_for_load_state()
        assert page.url.endswith("/facilities/ward/")
        assert Facility.objects.filter(municipality=ward, open_data_id="N-1").exists()
        assert "あおぞら保育室" in page.locator("#ward-facilities").inner_text()
        known.refresh_from_db()
        assert known.phone == "03-9876-5432"
