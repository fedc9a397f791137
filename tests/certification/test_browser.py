"""The application on a phone: postal-code fill by the page's script, submit, status page;
axe-core (WCAG 2.1 A/AA) on every page visited."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.browser_support import check_accessibility
from tests.certification.conftest import PDF
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
    phone.wait_for_url("**/edit/")
    check_accessibility(phone)

    # the page's script fills the address from the postal code
    phone.fill("#id_g-postal_code", "")
    phone.fill("#id_g-city", "")
    phone.fill("#id_g-postal_code", "160-0022")
    phone.wait_for_function("document.getElementById('id_g-city').value === '新宿区'")
    assert phone.input_value("#id_g-prefecture") == "東京都"

    phone.fill("#id_g-family_name", "山田")
    phone.fill("#id_g-given_name", "花子")
    phone.fill("#id_g-family_name_kana", "やまだ")
    phone.fill("#id_g-given_name_kana", "はなこ")
    phone.fill("#id_g-birth_date", "1992-06-01")
    phone.check("#id_g-sex_0")
    phone.fill("#id_g-relation", "母")
    phone.fill("#id_g-phone", "090-1234-5678")
    phone.fill("#id_g-address_line", "新宿1-1-1")
    phone.check("input[name=g-fee_class][value=tax_exempt]")
    evidence = tmp_path / "課税証明書.pdf"
    evidence.write_bytes(PDF)
    phone.set_input_files("#id_g-fee_evidence", str(evidence))
    phone.fill("#id_c-0-family_name", "山田")
    phone.fill("#id_c-0-given_name", "一花")
    phone.fill("#id_c-0-family_name_kana", "ﾔﾏﾀﾞ")
    phone.fill("#id_c-0-given_name_kana", "いちか")
    phone.fill("#id_c-0-birth_date", "2024-04-10")
    phone.check("#id_c-0-sex_0")
    phone.check("#id_c-0-declares_no_excluded_enrolment")
    phone.click("button[value=submit]")
    phone.wait_for_url("**/applications/*/?sent=1")
    check_accessibility(phone)
    assert "一花" in phone.content()
    assert Application.objects.get().status == ApplicationStatus.SUBMITTED
    phone.goto("/applications/")
    check_accessibility(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
