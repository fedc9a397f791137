"""The application on a phone: postal-code fill by the page's script, submit, status page;
axe-core (WCAG 2.1 A/AA) on every page visited."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.browser_support import check_accessibility
from tests.certification.pages import fill_application
from tsuen.certification.models import Application, ApplicationStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_apply_on_a_phone(phone, live_server, ward, applicant, tmp_path):
    log_in(phone, live_server, applicant)
    phone.goto("/applications/new/")
    check_accessibility(phone)
    phone.fill("#id_postal_code", "1600022")
    phone.click("main button[type=submit]")
    # The purpose notice comes before the form (issue 12 item 3): read, tick, agree.
    phone.wait_for_url(lambda url: "/consent/households/" in url and "next=" in url)
    check_accessibility(phone)
    phone.check("input[name=agree]")
    phone.click("main form.consent-form button[type=submit]")
    phone.wait_for_url("**/edit/")
    check_accessibility(phone)

    # the page's script fills the address from the postal code
    phone.fill("#id_g-postal_code", "")
    phone.fill("#id_g-city", "")
    phone.fill("#id_g-postal_code", "160-0022")
    phone.wait_for_function("document.getElementById('id_g-city').value === '新宿区'")
    assert phone.input_value("#id_g-prefecture") == "東京都"

    fill_application(phone, tmp_path)
    phone.click("button[value=submit]")
    phone.wait_for_url("**/applications/*/?sent=1")
    check_accessibility(phone)
    assert "一花" in phone.content()
    assert Application.objects.get().status == ApplicationStatus.SUBMITTED
    phone.goto("/applications/")
    check_accessibility(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
