"""Issue 10, the ward's desk in Chromium (1440x900, axe-core on every page), taking the
screenshots of docs/walkthrough/ward.md: the reviewer's home, the queue (applicant, days waiting),
an application, the certified children and a search, the child's certification page, ending a
certification; then the payments officer's home with the claims waiting. The same pages are
then opened at 360 px: none is wider than the screen."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.billing.ward import submitted_claim
from tests.browser_support import check_accessibility, log_in
from tests.matrix.rows_certification import _application
from tests.walkthrough import shot
from tsuen.accounts.models import Role
from tsuen.certification.models import ApplicationStatus
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def marked(page) -> str:
    """The label of the navigation item marked as the current page."""
    return page.locator("nav.sections a[aria-current=page]").inner_text()


def _world():
    ward = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, full_name="審査 太郎")
    f.second_factor(reviewer)
    claim, _manager, _child = submitted_claim(ward)
    facility = claim.facility
    names = [
        ("青木", "葵", "アオキ", "アオイ"),
        ("佐藤", "蓮", "サトウ", "レン"),
        ("鈴木", "澪", "スズキ", "ミオ"),
    ]
    children = []
    for n, (family, given, family_kana, given_kana) in enumerate(names, start=1):
        account, household, child = f.family(
            ward,
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
        )
        f.certification(
            child,
            reviewer,
            number=f"SJ2026-{n:05d}",
            valid_from=clock.today() - dt.timedelta(days=60),
            valid_to=clock.today() + dt.timedelta(days=300),
        )
        children.append(child)
    slot = f.place_slot(facility, clock.today() + dt.timedelta(days=7))
    f.booking(children[1], slot, reviewer)
    waiting = []
    for family, given in (("高橋", "陽"), ("田中", "結")):
        account, household, child = f.family(ward, family_name=family, given_name=given)
        waiting.append(_application(account, household, child, ApplicationStatus.SUBMITTED))
    return ward, reviewer, claim, children, waiting


def test_the_wards_desk_leads_to_the_next_task(desktop, browser, live_server):
    ward, reviewer, claim, children, waiting = _world()
    log_in(desktop, reviewer, live_server, language="ja")

    desktop.goto("/")
    assert marked(desktop) == "ホーム"
    check_accessibility(desktop)
    shot(desktop, "ward", "01-home")

    desktop.locator("nav.sections a[href='/applications/staff/']").click()
    desktop.wait_for_load_state()
    assert desktop.locator("nav.sections a[aria-current=page]").get_attribute("href") == (
        "/applications/staff/"
    )
    assert "申請者" in desktop.content() and "待ち日数" in desktop.content()
    check_accessibility(desktop)
    shot(desktop, "ward", "02-queue")

    desktop.get_by_role("link", name=waiting[0].reference).click()
    desktop.wait_for_load_state()
    assert desktop.locator("a[href='/applications/staff/']").count() >= 2  # nav and way back
    check_accessibility(desktop)
    shot(desktop, "ward", "03-application")

    desktop.locator("nav.sections a[href='/applications/staff/children/']").click()
    desktop.wait_for_load_state()
    assert marked(desktop) == "認定済みのこども"
    for c in children:
        assert c.full_name in desktop.content()
    check_accessibility(desktop)
    shot(desktop, "ward", "04-children")

    desktop.fill("#id_text", "さとう")
    desktop.select_option("#id_facility", str(claim.facility.pk))
    desktop.get_by_role("button", name="検索").click()
    desktop.wait_for_load_state()
    rows = desktop.locator("table.desk-table tbody tr")
    assert rows.count() == 1 and "佐藤 蓮" in rows.inner_text()
    check_accessibility(desktop)
    shot(desktop, "ward", "05-search")

    desktop.get_by_role("link", name="SJ2026-00002").click()
    desktop.wait_for_load_state()
    assert desktop.locator("nav.breadcrumb a[href='/applications/staff/children/']").count()
    assert desktop.locator(
        f"form[action$='/certifications/{children[1].certifications.get().pk}/notice/']"
    ).count()
    check_accessibility(desktop)
    shot(desktop, "ward", "06-child")

    desktop.get_by_role("link", name="認定を終了する").click()
    desktop.wait_for_load_state()
    assert desktop.locator(
        f"nav.breadcrumb a[href='/applications/staff/children/{children[1].pk}/fee-class/']"
    ).count()
    check_accessibility(desktop)
    shot(desktop, "ward", "07-end")
    pages = [
        "/",
        "/applications/staff/",
        f"/applications/staff/{waiting[0].pk}/",
        "/applications/staff/children/",
        f"/applications/staff/children/{children[1].pk}/fee-class/",
        f"/applications/staff/children/{children[1].pk}/end/",
    ]

    # The payments officer starts from the claims waiting.
    officer = f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward)
    f.second_factor(officer)
    desktop.context.clear_cookies()
    log_in(desktop, officer, live_server, language="ja")
    desktop.goto("/")
    assert "審査待ちの請求 1 件" in desktop.content()
    check_accessibility(desktop)
    shot(desktop, "ward", "08-payments-home")
    desktop.locator(f"a[href='/billing/ward/claims/{claim.pk}/']").first.click()
    desktop.wait_for_load_state()
    assert desktop.locator("a[href='/billing/ward/']").count() >= 2  # nav and way back
    check_accessibility(desktop)
    shot(desktop, "ward", "09-claim")

    # The same desk on a 360 px screen: nothing wider than the screen.
    context = browser.new_context(
        viewport=NARROW, locale="ja-JP", base_url=live_server.url, bypass_csp=True
    )
    try:
        narrow = context.new_page()
        log_in(narrow, reviewer, live_server, language="ja")
        for url in pages:
            narrow.goto(url)
            fits(narrow)
        narrow.context.clear_cookies()
        log_in(narrow, officer, live_server, language="ja")
        for url in ("/", f"/billing/ward/claims/{claim.pk}/"):
            narrow.goto(url)
            fits(narrow)
    finally:
        context.close()
