"""The anomaly desk in a real browser: readable at 360 px, no WCAG A/AA violation, and a
disposition recorded through the form."""

from __future__ import annotations

import os

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tests.monitoring.support import SATURDAY, at, events
from tsuen.accounts.models import Role
from tsuen.monitoring.detect import detect
from tsuen.monitoring.models import Anomaly, Disposition

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_desk_fits_a_phone_and_records_a_disposition(browser, live_server):
    ward = f.municipality()
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    events(3, ward=ward, actor=reviewer, when=at(SATURDAY, 22))
    events(5, ward=ward, actor=reviewer, when=at(SATURDAY, 9, 10), action="denied", children=[])
    detect(SATURDAY)
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    shot = os.environ.get("TSUEN_SCREENSHOT_DIR")
    with _page(browser, live_server, {"width": 360, "height": 740}) as page:
        log_in(page, admin, live_server)
        page.goto("/municipality/anomalies/")
        assert page.locator("h1").inner_text() == "監査ログの異常"
        assert page.locator("#anomalies > li").count() == 3  # off hours; denials x2
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        check_accessibility(page)
        if shot:
            page.screenshot(path=f"{shot}/anomalies-360.png", full_page=True)
        page.get_by_role("link", name="勤務時間外のアクセス").click()
        page.get_by_label("エスカレーション：事故の可能性があるため調査する").check()
        page.get_by_label("対応のメモ").fill("本人に確認できないため調査する。")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        check_accessibility(page)
        if shot:
            page.screenshot(path=f"{shot}/anomaly-form-360.png", full_page=True)
        page.get_by_role("button", name="対応を記録する").click()
        page.wait_for_selector("#disposition")
        assert "対応を記録しました" in page.content()
        if shot:
            page.screenshot(path=f"{shot}/anomaly-disposed-360.png", full_page=True)
    anomaly = Anomaly.unscoped.get(actor_id=reviewer.pk, rule="off_hours")
    assert anomaly.disposition == Disposition.ESCALATED and anomaly.disposed_by == admin
