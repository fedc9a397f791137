"""Issue 13 item 5 on a phone (360x740, axe-core): the facility's manager reaches the webhook
screen from the navigation, registers an endpoint, copies the secret shown once, opens the
endpoint, reads the delivery log and sends one event again; the ward's administrator's screen
too. No page is wider than the screen. Screenshots: var/screens/webhooks-*.png."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import _page, check_accessibility, log_in
from tsuen.accounts.models import Role
from tsuen.core import clock
from tsuen.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}
URL = "https://127.0.0.1:9/tsuen/webhooks/receiver-for-the-facility-system"


@pytest.fixture
def narrow(browser, live_server):
    with _page(browser, live_server, NARROW) as page:
        yield page


def fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"
    check_accessibility(page)
    page.screenshot(path=f"var/screens/webhooks-{name}.png", full_page=True)


def test_a_manager_registers_an_endpoint_on_a_phone(narrow, live_server):
    ward = f.municipality()
    facility = f.facility(ward)
    manager = f.user(Role.FACILITY_MANAGER, facility=facility)
    f.second_factor(manager)
    log_in(narrow, manager, live_server, language="ja")
    narrow.goto(live_server.url + "/facilities/staff/webhooks/")
    fits(narrow, "1-empty")
    narrow.fill("#id_url", URL)
    narrow.fill("#id_label", "園の業務システム")
    narrow.check("input[name=events][value='booking.created']")
    narrow.check("input[name=events][value='attendance.checked_in']")
    # (by selector: the new strings' Japanese is merged into the catalogue later)
    narrow.locator("#endpoint-form button[type=submit]").click()
    narrow.wait_for_load_state()
    endpoint = Endpoint.unscoped.get()
    assert narrow.get_by_test_id("secret").inner_text() == endpoint.signing_secret
    fits(narrow, "2-secret")

    event = Event.unscoped.create(
        type="booking.created", municipality=ward, facility=facility,
        occurred_at=clock.now(), data={"booking_id": 1}, fanned_out_at=clock.now(),
    )  # fmt: skip
    Delivery.unscoped.create(
        endpoint=endpoint, event=event, next_attempt_at=clock.now(), attempts=8,
        status=DeliveryStatus.FAILED, response_code=503, error="HTTP 503",
    )  # fmt: skip
    narrow.goto(live_server.url + f"/facilities/staff/webhooks/{endpoint.pk}/")
    fits(narrow, "3-endpoint")
    narrow.locator("#delivery-log button[type=submit]").first.click()
    narrow.wait_for_load_state()
    assert Delivery.unscoped.filter(replay=True).count() == 1
    narrow.goto(live_server.url + f"/facilities/staff/webhooks/{endpoint.pk}/rotate")
    fits(narrow, "4-rotate")


def test_the_ward_administrators_screen_on_a_phone(narrow, live_server):
    ward = f.municipality()
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    Endpoint.unscoped.create(
        municipality=ward, url=URL, label="住民記録システム連携", signing_secret="whsec_x",
        events=["certification.changed", "claim.status_changed"], created_at=clock.now(),
    )  # fmt: skip
    log_in(narrow, admin, live_server, language="ja")
    narrow.goto(live_server.url + "/municipality/webhooks/")
    fits(narrow, "5-ward")
