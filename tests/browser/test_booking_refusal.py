"""A booking refused at the last step, on a 360 px phone: the place went while the parent was
checking. The answer is short (why, the waitlist, the way back), fits the screen, passes
axe-core, and "予約内容を変更する" opens the form with the same child and times."""

from __future__ import annotations

import pytest

from tests.booking.scene import NOW, scene
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.booking.models import Booking
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
NARROW = {"width": 360, "height": 740}


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page, clock.frozen(NOW, all_threads=True):
        yield page


def test_the_last_place_goes_while_the_parent_checks(narrow, live_server):
    s = scene()
    log_in(narrow, s.user, live_server)
    narrow.goto(f"/bookings/new/?slot={s.slot.pk}")
    narrow.select_option("select[name=start]", "10:30")
    narrow.select_option("select[name=end]", "12:00")
    narrow.click("button[name=step][value=check]")
    assert narrow.locator("button[name=step][value=confirm]").is_visible()
    s.fill()  # meanwhile, other families take every place
    narrow.click("button[name=step][value=confirm]")

    assert narrow.locator("h1").inner_text() == "予約できませんでした"
    alert = narrow.locator("[role=alert]").inner_text()
    assert "満員" in alert
    assert narrow.locator("[role=alert] a", has_text="キャンセル待ち").count() == 1
    assert "10:30" in narrow.locator("main").inner_text()
    width = narrow.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"the refusal is {width} px wide"
    check_accessibility(narrow)
    assert not Booking.objects.filter(child=s.child).exists()

    narrow.click("button[name=step][value=edit]")
    assert narrow.locator("select[name=start]").input_value() == "10:30"
    assert narrow.locator("select[name=end]").input_value() == "12:00"
