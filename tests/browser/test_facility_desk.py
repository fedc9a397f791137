"""Issue 10, the facility's desk in Chromium (1024x768 tablet, axe-core on every page), taking
the screenshots of docs/walkthrough/facility.md: the home with what is waiting, the first
interview requests with what the interview needs, one interview, the notice address on the
profile, today's children and the claims. The same pages are then opened at 360 px and at
1440 px: none is wider than the screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tests.billing.ward import submitted_claim
from tests.browser_support import check_accessibility, log_in
from tests.walkthrough import shot
from tsuen.accounts.models import Role
from tsuen.booking.models import RegularUseRequest
from tsuen.core import clock
from tsuen.facilities.models import Facility, InterviewSlot, InterviewStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def _world():
    claim, manager, child = submitted_claim()
    ward, facility = claim.paying_municipality, claim.facility
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    today = clock.today()
    slot = f.place_slot(facility, today)
    f.booking(child, slot, manager)
    guardian, _household, asking = f.family(
        ward,
        family_name="青木",
        given_name="葵",
        family_name_kana="アオキ",
        given_name_kana="アオイ",
    )
    asking.allergies = ["卵", "小麦"]
    asking.medical_care = True
    asking.save()
    f.certification(
        asking,
        reviewer,
        number="SJ2026-00042",
        valid_from=today - dt.timedelta(days=30),
        valid_to=today + dt.timedelta(days=300),
    )
    starts = timezone.localtime(clock.now()).replace(
        hour=10, minute=0, second=0, microsecond=0
    ) + dt.timedelta(days=4)
    interview_slot = InterviewSlot.objects.create(
        facility=facility, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )
    interview = f.interview(
        asking, facility, guardian, status=InterviewStatus.REQUESTED, slot=interview_slot
    )
    RegularUseRequest.objects.create(
        child=child,
        facility=facility,
        weekday=2,
        starts_at=dt.time(10),
        ends_at=dt.time(12),
        period_from=today + dt.timedelta(days=30),
        period_to=today + dt.timedelta(days=120),
        requested_by=manager,
    )
    return manager, facility, interview


def test_the_facilitys_desk_leads_to_the_next_task(tablet, browser, live_server):
    manager, facility, interview = _world()
    log_in(tablet, manager, live_server, language="ja")

    tablet.goto("/")
    assert tablet.locator("nav.sections a[aria-current=page]").inner_text() == "ホーム"
    assert tablet.locator("#task-today .figure").inner_text() == "1"
    assert tablet.locator("#task-interviews .figure").inner_text() == "1"
    assert tablet.locator("#task-regular .figure").inner_text() == "1"
    assert "提出済み" in tablet.locator("#task-claims").inner_text()
    check_accessibility(tablet)
    shot(tablet, "facility", "01-home")

    tablet.locator("#task-interviews a").click()
    tablet.wait_for_load_state()
    details = tablet.locator(".interview-details").first.inner_text()
    for expected in ("1歳児クラス", "SJ2026-00042", "卵", "090-0000-0000"):
        assert expected in details, expected
    check_accessibility(tablet)
    shot(tablet, "facility", "02-interviews")

    tablet.get_by_role("link", name="青木 葵").click()
    tablet.wait_for_load_state()
    assert tablet.locator("nav.breadcrumb a[href='/facilities/staff/interviews/']").count()
    assert "小麦" in tablet.content()
    check_accessibility(tablet)
    shot(tablet, "facility", "03-interview")

    tablet.locator("nav.sections a[href='/facilities/staff/profile/']").click()
    tablet.wait_for_load_state()
    tablet.fill("#id_notice_email", "office@hikari.example.jp")
    tablet.locator("button[name=action][value=profile]").click()
    tablet.wait_for_load_state()
    assert Facility.objects.get(pk=facility.pk).notice_email == "office@hikari.example.jp"
    check_accessibility(tablet)
    shot(tablet, "facility", "04-profile")

    tablet.goto("/")
    tablet.locator("#task-today a").click()
    tablet.wait_for_load_state()
    check_accessibility(tablet)
    shot(tablet, "facility", "05-today")

    tablet.goto("/")
    tablet.locator("#task-claims a").first.click()
    tablet.wait_for_load_state()
    check_accessibility(tablet)
    shot(tablet, "facility", "06-claims")

    pages = ["/", "/facilities/staff/interviews/", f"/facilities/staff/interviews/{interview.pk}/"]
    for viewport in ({"width": 360, "height": 740}, {"width": 1440, "height": 900}):
        context = browser.new_context(
            viewport=viewport, locale="ja-JP", base_url=live_server.url, bypass_csp=True
        )
        try:
            page = context.new_page()
            log_in(page, manager, live_server, language="ja")
            for url in pages:
                page.goto(url)
                fits(page)
        finally:
            context.close()
