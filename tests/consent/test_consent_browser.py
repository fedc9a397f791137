"""The guardian's way through the purpose notice on a phone (360 px), in Japanese: the profile
section that needs consent leads to the notice, agreeing leads back, and the section saves."""

from __future__ import annotations

import os

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.consent.models import Consent

pytestmark = pytest.mark.django_db(transaction=True)


def test_from_the_meals_page_through_the_notice_and_back(phone, live_server, tmp_path):
    ward = f.municipality(name="新宿区")
    guardian, household, child = f.family(ward, consented=False, given_name="一花")
    phone.set_viewport_size({"width": 360, "height": 740})
    log_in(phone, guardian, live_server, language="ja")
    phone.goto(f"/profile/children/{child.pk}/meals/")
    phone.click("text=利用目的の通知を読む")
    phone.wait_for_url(lambda url: f"/consent/households/{household.pk}/" in url)
    assert phone.locator("h3", has_text="集める情報").is_visible()
    check_accessibility(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the notice scrolls sideways at 360 px ({width} px)"
    shots = os.environ.get("TSUEN_SCREENSHOTS")
    if shots:
        phone.screenshot(path=f"{shots}/consent-notice-360.png", full_page=True)
    phone.check("input[name=agree]")
    phone.click("main form.consent-form button[type=submit]")
    phone.wait_for_url(f"**/profile/children/{child.pk}/meals/")
    assert Consent.objects.get(household=household).notice_version == 1
    phone.fill("textarea[name=allergies]", "卵")
    phone.click("main button[type=submit]")
    phone.wait_for_url(f"**/profile/children/{child.pk}/#meals")
    child.refresh_from_db()
    assert child.allergies == ["卵"]
    phone.goto(f"/consent/households/{household.pk}/withdraw/")
    check_accessibility(phone)
    if shots:
        phone.screenshot(path=f"{shots}/consent-withdraw-360.png", full_page=True)
