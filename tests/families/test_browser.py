"""The profile and proxy pages work on a phone and pass axe-core (WCAG 2.1 A/AA)."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from tests import factories as f
from tests.browser_support import check_accessibility
from tsuen.accounts.models import Role
from tsuen.families.models import EmergencyContact, GrowthRecord, ProxyGrant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def log_in(page, live_server, account):
    client = Client()
    client.force_login(account)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_profile_pages_are_accessible_on_a_phone(phone, live_server):
    ward = f.municipality()
    guardian, household, child = f.family(ward)
    EmergencyContact.objects.create(
        child=child, name="試験 和子", relation="祖母", phone="0311112222"
    )
    GrowthRecord.objects.create(
        child=child, measured_on=dt.date(2025, 4, 1), height_cm=75, weight_kg=9
    )
    ProxyGrant.objects.create(household=household, user=f.user(Role.PROXY), granted_by=guardian)
    log_in(phone, live_server, guardian)
    paths = [
        "/profile/",
        f"/profile/children/{child.pk}/",
        *(f"/profile/children/{child.pk}/{s}/" for s in
          ("contacts", "meals", "health", "growth", "pickup", "development")),
        f"/profile/contacts/{child.emergency_contacts.get().pk}/",
        "/profile/proxies/",
        "/profile/proxies/invite/",
    ]  # fmt: skip
    for path in paths:
        phone.goto(path)
        assert phone.locator("html").get_attribute("lang") == "ja"
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
        check_accessibility(phone)
    # A form with errors is still accessible.
    phone.goto(f"/profile/children/{child.pk}/growth/")
    phone.fill("#id_measured_on", "2025-10-10")
    phone.fill("#id_height_cm", "300")
    phone.fill("#id_weight_kg", "10")
    phone.click("form:has(#id_height_cm) button[type=submit]")
    assert phone.locator(".errorlist").count() == 1
    check_accessibility(phone)


def test_the_invitation_page_is_accessible_logged_out(phone):
    phone.goto("/profile/proxies/accept/unknown-token/")
    check_accessibility(phone)
