"""The ward desk's paper disclosure request on a 360 px screen, in Japanese: find the household,
record the request, read what will be disclosed, produce the files (re-authentication, the ZIP's
password read off the screen) and open the ZIP with it. Every page: no sideways scrolling, no
accessibility violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tests.exports.support import open_zip
from tests.factories import PASSWORD
from tsuen.accounts.models import Role
from tsuen.consent.models import DeskDisclosureRequest
from tsuen.core import clock

pytestmark = pytest.mark.django_db(transaction=True)


def _look(page, name: str) -> None:
    check_accessibility(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name} scrolls sideways at 360 px ({width} px)"
    shots = os.environ.get("TSUEN_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/desk-disclosure-{name}-360.png", full_page=True)


def test_a_paper_request_on_a_narrow_screen(phone, live_server):
    ward = f.municipality(name="新宿区")
    _guardian, household, _child = f.family(ward, given_name="一花", given_name_kana="イチカ")
    official = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, full_name="窓口一郎")
    f.second_factor(official)
    phone.set_viewport_size({"width": 360, "height": 740})
    log_in(phone, official, live_server, language="ja")
    phone.goto("/consent/desk/")
    _look(phone, "list-empty")
    phone.click("#desk-find")
    phone.fill("input[name=text]", "いちか")
    phone.click("#desk-search button[type=submit]")
    phone.wait_for_selector(f"#desk-household-{household.pk}")
    _look(phone, "search")
    phone.click(f"#desk-household-{household.pk} a.button")
    phone.wait_for_selector("#desk-request-form")
    phone.fill("input[name=received_on]", clock.today().isoformat())
    phone.select_option("select[name=identity_document]", "my_number_card")
    phone.select_option("select[name=requester_relation]", "guardian")
    phone.click("#desk-request-form button[type=submit]")
    phone.wait_for_selector("#desk-produce-form")
    request = DeskDisclosureRequest.objects.get(household=household)
    _look(phone, "request")
    phone.check("#id_confirmed")
    phone.click("#desk-produce-form button[type=submit]")
    phone.wait_for_load_state()
    assert "/accounts/reauthenticate/" in phone.url
    phone.locator("input[name=password]").fill(PASSWORD)
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_selector("#export-password")
    _look(phone, "ready")
    password = phone.locator("#export-password").inner_text().strip()
    with phone.expect_download() as got:
        phone.locator("#download").click()
    files = open_zip(Path(got.value.path()).read_bytes(), password)
    assert sorted(files) == [
        f"disclosure-{request.number}.json",
        f"disclosure-{request.number}.pdf",
    ]
    shots = os.environ.get("TSUEN_SCREENSHOTS")
    if shots:
        Path(shots, "desk-disclosure.pdf").write_bytes(files[f"disclosure-{request.number}.pdf"])
    phone.goto("/consent/desk/")
    phone.wait_for_selector(f"#desk-request-{request.pk}")
    _look(phone, "list")
    phone.goto(f"/consent/desk/requests/{request.pk}/")
    _look(phone, "produced")
